/* The re-check page: start a re-check (POST /api/rechecks), follow its progress, show the
   counts per transition with links to the summary and the tables. Every text from the
   server is set with textContent (never as HTML). */
(function () {
  "use strict";
  var form = document.getElementById("gs-recheck-form");
  if (!form) { return; }
  var statusLine = document.getElementById("gs-recheck-status");
  var result = document.getElementById("gs-recheck-result");
  var button = document.getElementById("gs-recheck-start");
  var headers = { Accept: "application/json", "Accept-Language": document.documentElement.lang };
  var STAGES = { queued: "排队中", reading: "读取中", checking: "核对中", done: "完成" };

  function say(text) { statusLine.textContent = text; }

  function link(href, text) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    return a;
  }

  function show(answer) {
    var s = answer.summary || {};
    result.textContent = "";
    var p = document.createElement("p");
    p.textContent = "重新检查 " + answer.id + "：园区图层第 " + answer.zones.version + " 版，" +
      (s.checks || 0) + " 个检查、" + (s.parcels || 0) + " 个地块，" + (s.changed || 0) +
      " 个地块有变化，跳过 " + (s.skipped || 0) + " 个检查。";
    result.appendChild(p);
    var list = document.createElement("ul");
    (s.transitions || []).forEach(function (t) {
      var li = document.createElement("li");
      li.textContent = t.before_zh + " → " + t.after_zh + "：" + t.parcels + " 个地块，其中 " + t.changed + " 个有变化";
      list.appendChild(li);
    });
    result.appendChild(list);
    var links = document.createElement("p");
    (answer.links || []).forEach(function (l) {
      if (l.rel !== "alternate") { return; }
      if (links.childNodes.length) { links.appendChild(document.createTextNode(" · ")); }
      links.appendChild(link(l.href, (l.title === "CSV" || l.title === "Excel") ? "下载 " + l.title : l.title));
    });
    result.appendChild(links);
    result.hidden = false;
  }

  var STATUS = { queued: "排队中", running: "进行中", done: "完成", failed: "失败", interrupted: "已中断" };

  function cell(row, value) {
    var td = document.createElement("td");
    if (value instanceof Node) { td.appendChild(value); } else { td.textContent = value; }
    row.appendChild(td);
  }

  /* "2026-12-01 23:37:45（北京时间 UTC+8）" as the server writes it, in the page's TIME_ZONE. */
  function localTime(iso, table) {
    var zone = table.getAttribute("data-time-zone");
    try {
      var text = new Intl.DateTimeFormat("sv-SE", {
        timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false
      }).format(new Date(iso));
      return text + "（" + table.getAttribute("data-time-zone-label") + "）";
    } catch (e) {
      return iso;
    }
  }

  /* The records table again from GET /api/rechecks (after a re-check finished). */
  function refreshList() {
    var table = document.getElementById("gs-recheck-list");
    return fetch(table.getAttribute("data-api") + "?limit=50", { headers: headers })
      .then(function (r) { return r.json(); })
      .then(function (listing) {
        var body = table.tBodies[0];
        body.textContent = "";
        (listing.rechecks || []).forEach(function (r) {
          var s = r.summary || {};
          var row = document.createElement("tr");
          cell(row, r.id);
          cell(row, localTime(r.created_at, table));
          cell(row, r.user || "—");
          cell(row, "第 " + r.zones_version + " 版");
          cell(row, STATUS[r.status] || r.status);
          cell(row, s.checks === undefined ? "—" : String(s.checks));
          cell(row, s.parcels === undefined ? "—" : String(s.parcels));
          cell(row, s.changed === undefined ? "—" : String(s.changed));
          cell(row, link(r.href + (r.status === "done" ? "?f=html" : ""), r.status === "done" ? "汇总" : "进度"));
          body.appendChild(row);
        });
      });
  }

  function follow(url) {
    return fetch(url, { headers: headers }).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, body: body }; });
    }).then(function (reply) {
      if (!reply.ok) { throw new Error((reply.body.error || {}).message || "请求失败"); }
      var answer = reply.body;
      if (answer.status === "queued" || answer.status === "running") {
        var pr = answer.progress || {};
        say((STAGES[pr.stage] || pr.stage || "") + "：" + (pr.done || 0) + " / " + (pr.total || 0) + " 个地块");
        return new Promise(function (resolve) { setTimeout(resolve, 800); }).then(function () { return follow(url); });
      }
      if (answer.status === "done") { say("完成。"); show(answer); return refreshList(); }
      throw new Error(answer.message || ((answer.error || {}).message) || "重新检查未完成");
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = { version: form.version.value };
    if (form.checks.value.trim()) { body.checks = form.checks.value; }
    else if (form.since.value) { body.since = form.since.value; }
    button.disabled = true;
    result.hidden = true;
    say("提交中……");
    fetch(form.getAttribute("data-api"), {
      method: "POST",
      headers: Object.assign({ "Content-Type": "application/json" }, headers),
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (answer) {
        if (!r.ok) { throw new Error((answer.error || {}).message || "请求失败"); }
        return follow(r.headers.get("Location"));
      });
    }).catch(function (error) { say("错误：" + error.message); })
      .then(function () { button.disabled = false; });
  });
})();
