// JobMaster dashboard: live updates without reloading. Progressive enhancement only: every
// page works without this script. It follows the server's event stream (Server-Sent Events,
// same origin, the session cookie) and, when jobs change, either re-renders <main> from the
// server (data-live="page") or updates the status badges of the jobs shown (data-live="badges");
// on workflow pages (data-live="runs") it re-renders <main> when a run changes, or, on a run's
// page (an element with data-run-id), when that run or one of its step jobs changes.
(function () {
  'use strict';
  var body = document.body;
  var url = body.getAttribute('data-events');
  var mode = body.getAttribute('data-live');
  if (!url || !mode || !window.EventSource) return;

  var pending = false;
  var refreshing = false;
  function refresh() {
    if (refreshing) {
      pending = true;
      return;
    }
    refreshing = true;
    fetch(window.location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
      .then(function (response) {
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.text();
      })
      .then(function (text) {
        var next = new DOMParser().parseFromString(text, 'text/html').getElementById('main');
        var main = document.getElementById('main');
        if (next && main) main.replaceChildren.apply(main, Array.prototype.slice.call(next.childNodes));
      })
      .catch(function () {})
      .then(function () {
        refreshing = false;
        if (pending) {
          pending = false;
          setTimeout(refresh, 250);
        }
      });
  }

  var timer = null;
  function refreshSoon() {
    if (timer) return;
    timer = setTimeout(function () {
      timer = null;
      refresh();
    }, 300);
  }

  function updateBadges(change) {
    var badges = document.querySelectorAll('[data-job-status="' + String(change.jobId).replace(/[^0-9]/g, '') + '"]');
    for (var i = 0; i < badges.length; i++) {
      badges[i].textContent = change.status;
      badges[i].className = 'status status-' + change.status;
    }
  }

  function parse(event) {
    try {
      return JSON.parse(event.data);
    } catch {
      return null;
    }
  }

  /** The run this page shows, or null on a page of many runs. */
  function shownRun() {
    var element = document.querySelector('[data-run-id]');
    return element ? element.getAttribute('data-run-id') : null;
  }

  var source = new EventSource(url);
  source.addEventListener('job', function (event) {
    var change = parse(event);
    if (!change) return;
    if (mode === 'badges') updateBadges(change);
    else if (mode === 'page') refreshSoon();
    else if (mode === 'runs' && change.runId && String(change.runId) === shownRun()) refreshSoon();
  });
  source.addEventListener('run', function (event) {
    var change = parse(event);
    if (!change || mode !== 'runs') return;
    var shown = shownRun();
    if (shown === null || shown === String(change.runId)) refreshSoon();
  });
  source.addEventListener('ready', function () {
    body.setAttribute('data-connected', 'true');
  });
})();
