// topview-mock dashboard: reads the control API every second and renders what it answers.
// Plain DOM and fetch, no framework and nothing from the network: the page works offline, ships in the
// wheel as two small files, and every change it makes goes through a documented /_mock/ route.
"use strict";

(function () {
  const CONTROL = document.body.dataset.control;
  const POLL = Number(document.body.dataset.poll) || 1000;
  const JOURNAL_LIMIT = Number(document.body.dataset.journalLimit) || 50;
  const view = {
    uid: new URLSearchParams(window.location.search).get("uid"),
    open: new Set(), // <details> the user opened, kept open across refreshes
    shown: {}, // what each section shows, to re-render only what changed
  };

  // -- the control API ---------------------------------------------------------------------------------

  async function api(method, path, payload) {
    const options = { method: method, headers: {} };
    if (payload !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(payload);
    }
    const response = await fetch(CONTROL + path, options);
    const data = await response.json();
    if (!response.ok) {
      throw new Error(data.error || response.status + " " + response.statusText);
    }
    return data;
  }

  async function act(what, method, path, payload) {
    try {
      await api(method, path, payload);
      say(what);
    } catch (error) {
      say(what + " failed: " + error.message, true);
    }
    await refresh();
  }

  function say(text, failed) {
    const message = document.getElementById("message");
    message.textContent = text;
    message.classList.toggle("error", Boolean(failed));
  }

  // -- building the page -------------------------------------------------------------------------------

  function h(tag, props) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of Array.prototype.slice.call(arguments, 2).flat(Infinity)) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : String(child)); // text, never markup
    }
    return node;
  }

  function details(key, summary) {
    const node = h("details", { open: view.open.has(key) }, h("summary", null, summary));
    node.append.apply(node, Array.prototype.slice.call(arguments, 2));
    node.addEventListener("toggle", function () {
      if (node.open) view.open.add(key);
      else view.open.delete(key);
    });
    return node;
  }

  function pretty(value) {
    return h("pre", null, typeof value === "string" ? value : JSON.stringify(value, null, 2));
  }

  function time(seconds) {
    // virtual time, shown in UTC: the clock starts at 2026-01-01T00:00:00Z
    if (seconds === null || seconds === undefined) return "—";
    return new Date(seconds * 1000).toISOString().replace("T", " ").slice(0, 19);
  }

  function clockTime(seconds) {
    return seconds === null || seconds === undefined ? "—" : time(seconds).slice(11);
  }

  function badge(state) {
    return h("span", { class: "badge state-" + state }, state);
  }

  function table(headings, rows, empty) {
    if (!rows.length) return h("p", { class: "empty" }, empty);
    return h("table", null, h("thead", null, h("tr", null, headings.map((t) => h("th", null, t)))), h("tbody", null, rows));
  }

  function section(id, data, render) {
    const text = JSON.stringify(data);
    if (view.shown[id] === text) return;
    view.shown[id] = text;
    document.getElementById(id).replaceChildren(...[].concat(render(data)));
  }

  // -- sections ----------------------------------------------------------------------------------------

  function renderClock(clock) {
    document.getElementById("clock-now").textContent = time(clock.now);
    document.getElementById("clock-mode").textContent = clock.mode + (clock.mode === "realtime" ? " ×" + clock.speed : "");
  }

  function renderAccounts(accounts) {
    if (!accounts.length) {
      return h("p", { class: "empty" }, "No account has called the fake yet: send a request with a Topview-Uid header.");
    }
    return accounts.map((account) =>
      h(
        "button",
        {
          type: "button",
          class: "account" + (account.uid === view.uid ? " selected" : ""),
          dataset: { uid: account.uid },
          onclick: () => choose(account.uid),
        },
        account.uid,
        h("span", { class: "count" }, account.unfinished + " running / " + account.tasks + " tasks")
      )
    );
  }

  function renderAccount(account) {
    const credits = account.credits;
    return [
      h(
        "dl",
        { class: "credits" },
        ["balance", "reserved", "spent", "granted"].map((name) => [h("dt", null, name), h("dd", { class: "credit-" + name }, credits[name])])
      ),
      h(
        "button",
        { type: "button", id: "reset-account", onclick: () => act("account " + account.uid + " reset", "POST", "/reset", { uid: account.uid }) },
        "Reset account"
      ),
    ];
  }

  function progress(task, now) {
    const steps = { init: 0, running: 1 };
    if (!(task.status in steps)) return h("progress", { max: 1, value: 1 });
    const history = task.history;
    const began = history.length ? history[history.length - 1].at : task.createdAt;
    let part = 0;
    let note = task.progression;
    if (task.progression === "time" && task.dueAt !== null) {
      part = Math.min(1, Math.max(0, (now - began) / Math.max(task.dueAt - began, 1e-9)));
      note = "next step in " + Math.max(0, task.dueAt - now).toFixed(1) + " s";
    } else if (task.progression === "polls") {
      note = "polled " + task.polls + "×";
    } else if (task.progression === "manual") {
      note = "manual: waits for complete";
    }
    return [h("progress", { max: 1, value: ((steps[task.status] + part) / 2).toFixed(3) }), h("span", { class: "note" }, note)];
  }

  function timeline(task) {
    return h(
      "ol",
      { class: "timeline" },
      task.history.map((step) => h("li", null, badge(step.status), " ", clockTime(step.at)))
    );
  }

  function renderTasks(data) {
    const rows = data.tasks
      .slice()
      .reverse()
      .map((task) => {
        const open = task.status === "init" || task.status === "running";
        const failMessage = () => document.getElementById("fail-message").value || "Failed from the dashboard";
        return h(
          "tr",
          { class: "task", dataset: { taskId: task.taskId, status: task.status } },
          h("td", { class: "id", title: task.taskId }, task.taskId),
          h("td", null, task.operationId, h("div", { class: "note" }, task.kind + " · cost " + task.cost)),
          h("td", { class: "status" }, badge(task.status), task.errorMsg ? h("div", { class: "note error-text" }, task.errorMsg) : null),
          h("td", { class: "progression" }, progress(task, data.now)),
          h("td", null, timeline(task)),
          h(
            "td",
            { class: "actions" },
            open
              ? [
                  h("button", { type: "button", class: "complete", onclick: () => act("task " + task.taskId + " completed", "POST", "/tasks/" + task.taskId + "/complete", { status: "success" }) }, "Complete"),
                  h("button", { type: "button", class: "fail", onclick: () => act("task " + task.taskId + " failed", "POST", "/tasks/" + task.taskId + "/complete", { status: "fail", errorMsg: failMessage() }) }, "Fail"),
                ]
              : null
          )
        );
      });
    return table(["task", "operation", "status", "progression", "timeline", ""], rows, "No task yet.");
  }

  function renderCallbacks(data) {
    const items = data.callbacks
      .slice()
      .reverse()
      .map((delivery) => {
        const attempts = delivery.attempts.map((attempt) =>
          h(
            "tr",
            { class: "attempt" + (attempt.acknowledged ? " ok" : " failed") },
            h("td", null, "#" + attempt.number),
            h("td", null, clockTime(attempt.at)),
            h("td", { class: "answer" }, attempt.httpStatus === null ? "no answer" : "HTTP " + attempt.httpStatus),
            h("td", null, attempt.acknowledged ? "acknowledged" : attempt.error || "not acknowledged"),
            h("td", { class: "response" }, attempt.responseText || ""),
            h("td", { class: "note" }, attempt.durationMs === null ? "" : Math.round(attempt.durationMs) + " ms")
          )
        );
        const next =
          delivery.nextAttemptAt === null
            ? null
            : h("span", { class: "next" }, "next attempt " + clockTime(delivery.nextAttemptAt) + " (in " + Math.max(0, delivery.nextAttemptAt - data.now).toFixed(1) + " s)");
        return h(
          "div",
          { class: "delivery", dataset: { id: delivery.id, taskId: delivery.taskId, state: delivery.state } },
          h("div", { class: "delivery-head" }, badge(delivery.state), h("strong", null, delivery.bizType), " task ", h("code", null, delivery.taskId), " → ", h("code", null, delivery.url), next),
          delivery.refusedReason ? h("p", { class: "note error-text" }, delivery.refusedReason) : null,
          table(["attempt", "at", "answer", "outcome", "response", "took"], attempts, "Not attempted yet."),
          details("callback-body-" + delivery.id, "notice body", pretty(delivery.body))
        );
      });
    return items.length ? items : h("p", { class: "empty" }, "No callback yet (tasks submitted with a noticeUrl call back when they finish).");
  }

  function renderJournal(data) {
    const rows = data.entries
      .slice()
      .reverse()
      .map((entry) =>
        h(
          "tr",
          { class: "exchange", dataset: { seq: entry.seq } },
          h("td", null, entry.seq),
          h("td", null, clockTime(entry.at)),
          h("td", null, h("code", null, entry.method + " " + entry.path), h("div", { class: "note" }, entry.operationId)),
          h(
            "td",
            { class: "answer" },
            entry.dropped
              ? h("span", { class: "badge state-fail" }, "connection dropped")
              : [entry.code ? h("span", { class: "badge state-" + (entry.code === "200" ? "success" : "fail") }, "code " + entry.code) : null, " HTTP " + entry.status],
            entry.fault ? h("div", { class: "note" }, "fault: " + entry.fault) : null
          ),
          h(
            "td",
            null,
            details("request-" + entry.seq, "request", pretty({ query: entry.query, headers: entry.headers, body: entry.body })),
            details("response-" + entry.seq, "response", pretty(entry.response))
          )
        )
      );
    return table(["#", "at", "request", "answer", "bodies"], rows, "No request from this account yet.");
  }

  function renderFaults(faults) {
    if (!faults.length) return h("p", { class: "empty" }, "No fault rule in force.");
    return h(
      "ul",
      { class: "faults" },
      faults.map((rule) =>
        h(
          "li",
          { class: "fault" + (rule.spent ? " spent" : "") },
          h("code", null, rule.operationId + (rule.uid ? " (" + rule.uid + ")" : "")),
          " ",
          ["code", "status", "latency", "drop", "times", "probability"].filter((k) => rule[k] !== null && rule[k] !== undefined && rule[k] !== false).map((k) => k + "=" + JSON.stringify(rule[k])).join(" "),
          h("span", { class: "note" }, " matched " + rule.matched + ", fired " + rule.fired + (rule.spent ? ", spent" : ""))
        )
      )
    );
  }

  // -- refreshing --------------------------------------------------------------------------------------

  function choose(uid) {
    view.uid = uid;
    const url = new URL(window.location.href);
    url.searchParams.set("uid", uid);
    window.history.replaceState(null, "", url);
    view.shown = {};
    refresh();
  }

  let running = null;

  function refresh() {
    running = running || load().finally(() => (running = null));
    return running;
  }

  async function load() {
    const [clock, accounts, faults] = await Promise.all([api("GET", "/clock"), api("GET", "/accounts"), api("GET", "/faults")]);
    const uids = accounts.accounts.map((a) => a.uid);
    if (!uids.includes(view.uid) && uids.length) view.uid = uids[0];
    renderClock(clock);
    section("accounts", { list: accounts.accounts.map((a) => [a.uid, a.tasks, a.unfinished]), uid: view.uid }, () => renderAccounts(accounts.accounts));
    section("faults", faults.faults, renderFaults);
    const account = accounts.accounts.find((a) => a.uid === view.uid);
    document.getElementById("account-uid").textContent = account ? account.uid : "";
    if (!account) {
      for (const id of ["account", "tasks", "callbacks", "journal"]) section(id, null, () => h("p", { class: "empty" }, "—"));
      return;
    }
    const uid = encodeURIComponent(account.uid);
    const [tasks, callbacks, journal] = await Promise.all([
      api("GET", "/tasks?uid=" + uid),
      api("GET", "/callbacks?uid=" + uid),
      api("GET", "/journal?uid=" + uid + "&limit=" + JOURNAL_LIMIT),
    ]);
    section("account", account, renderAccount);
    section("tasks", { now: clock.now, tasks: tasks.tasks }, renderTasks);
    section("callbacks", { now: clock.now, callbacks: callbacks.callbacks }, renderCallbacks);
    section("journal", journal, renderJournal);
  }

  async function poll() {
    const live = document.getElementById("live");
    try {
      await refresh();
      live.textContent = "live · " + new Date().toLocaleTimeString();
      live.classList.remove("error");
    } catch (error) {
      live.textContent = "control API unreachable: " + error.message;
      live.classList.add("error");
    }
    window.setTimeout(poll, POLL);
  }

  // -- controls ----------------------------------------------------------------------------------------

  function advance(seconds) {
    return act("clock advanced " + seconds + " s", "POST", "/clock/advance", { seconds: Number(seconds) });
  }

  document.getElementById("advance-form").addEventListener("submit", function (event) {
    event.preventDefault();
    advance(document.getElementById("advance-seconds").value);
  });
  for (const button of document.querySelectorAll(".advance-by")) {
    button.addEventListener("click", () => advance(button.dataset.seconds));
  }
  document.getElementById("clear-faults").addEventListener("click", () => act("faults cleared", "DELETE", "/faults"));

  poll();
})();
