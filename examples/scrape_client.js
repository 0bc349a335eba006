// A small Topview client in Node (20+, global fetch): scrape a product page and wait for the result.
// Checked by `topview-mock check-client -- node examples/scrape_client.js`; POLL_INTERVAL paces it (seconds).
const base = process.env.TOPVIEW_BASE_URL;
const headers = {
  "Topview-Uid": process.env.TOPVIEW_UID,
  Authorization: `Bearer ${process.env.TOPVIEW_API_KEY}`,
  "Content-Type": "application/json",
};
const pollMs = 1000 * Number(process.env.POLL_INTERVAL ?? "2");
const transient = new Set(["5000", "5001", "5003", "5004", "5005"]);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function call(method, path, body) {
  let problem = "";
  for (let attempt = 0; attempt < 3; attempt++) {
    if (attempt) await sleep(200 * 3 ** (attempt - 1)); // growing waits: 0.2 s, then 0.6 s
    let response;
    try {
      response = await fetch(base + path, { method, headers, body: body && JSON.stringify(body) });
    } catch (error) {
      problem = `transport error: ${error.cause?.code ?? error.message}`;
      continue;
    }
    if (response.status >= 500) {
      problem = `HTTP ${response.status}`;
      continue;
    }
    const envelope = await response.json();
    const code = String(envelope.code);
    if (code === "200") return envelope.result;
    problem = `${code}: ${envelope.message}`;
    if (!transient.has(code)) break; // a refusal is final: never sent again unchanged
  }
  throw new Error(`${path} failed: ${problem}`);
}

async function main() {
  const task = await call("POST", "/v1/scraper/task/submit", { productLink: "https://shop.example.com/p/1" });
  for (let poll = 0; poll < 40; poll++) {
    const result = await call("GET", `/v1/scraper/task/query?taskId=${task.taskId}`);
    const status = String(result.status).toLowerCase();
    if (status === "success" || status === "succeeded") {
      console.log(`scraped: ${result.productName ?? "(no name)"}, ${(result.productImages ?? []).length} images`);
      return;
    }
    if (status === "fail" || status === "failed") throw new Error(`task failed: ${result.errorMsg ?? "no errorMsg"}`);
    await sleep(pollMs);
  }
  throw new Error("the task did not finish");
}

main().catch((error) => {
  console.error(`error: ${error.message}`);
  process.exitCode = 1;
});
