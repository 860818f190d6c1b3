// The browser side of the e2e browser test: the recommended client (client/, bundled by e2e/browser.ts)
// subscribes over wss:// to the page's own origin, through the proxy, and renders each event.
(function () {
  'use strict';
  var config = window.E2E_PAGE_CONFIG;
  var statusEl = document.getElementById('status');
  var metaEl = document.getElementById('meta');
  var listEl = document.getElementById('messages');
  var recoveryEl = document.getElementById('recovery');
  var received = [];
  window.e2e = { received: received, errors: [], recoveries: [], closes: 0, state: 'connecting' };

  function setStatus(state, text) {
    window.e2e.state = state;
    statusEl.dataset.state = state;
    statusEl.textContent = text;
  }

  function pick(obj, path) {
    return path.reduce(function (o, k) {
      return o == null ? o : o[k];
    }, obj);
  }

  var url = 'wss://' + location.host + config.graphqlPath;
  metaEl.textContent = 'endpoint ' + url;
  var client = window.recommendedClient.createRecommendedClient({
    url: url,
    // A function: called again on every reconnect, so a refreshed token would be sent.
    connectionParams: function () {
      return config.connectionParams || {};
    },
    onReconnect: function (n) {
      metaEl.textContent = 'endpoint ' + url + ' · reconnects ' + n;
    },
    // After a reconnect the client resumed the subscription from its last position: say whether every
    // missed message came back (the app would refetch if not).
    onRecovery: function (outcome) {
      window.e2e.recoveries.push(outcome);
      recoveryEl.dataset.recovered = String(outcome.recovered);
      recoveryEl.textContent = outcome.recovered
        ? 'resumed: ' + outcome.replayed + ' missed message(s) recovered'
        : 'resumed: not recovered (' + outcome.reason + '), refetch needed';
    },
    on: {
      connected: function () {
        setStatus('connected', 'connected');
      },
      closed: function (e) {
        window.e2e.closes++;
        setStatus('closed', 'closed (' + (e && e.code) + '), reconnecting…');
      },
    },
  });
  window.e2e.client = client;
  // Which instance holds the page's socket (a query over the same WebSocket), for tests that drain it.
  window.e2e.instanceId = function () {
    return new Promise(function (resolve, reject) {
      client.subscribe(
        { query: '{ serverInfo { instanceId } }' },
        {
          next: function (r) {
            if (r.data) resolve(r.data.serverInfo.instanceId);
            else reject(new Error(JSON.stringify(r.errors)));
          },
          error: reject,
          complete: function () {},
        },
      );
    });
  };

  client.subscribe(config.subscription, {
    next: function (result) {
      if (result.errors) window.e2e.errors.push(result.errors);
      var data = result.data;
      if (!data) return;
      received.push(data);
      var li = document.createElement('li');
      li.className = 'message';
      var text = document.createElement('div');
      text.className = 'text';
      text.textContent = String(pick(data, config.display.text));
      li.appendChild(text);
      if (config.display.detail) {
        var detail = document.createElement('div');
        detail.className = 'detail';
        detail.textContent = String(pick(data, config.display.detail));
        li.appendChild(detail);
      }
      listEl.appendChild(li);
    },
    error: function (err) {
      window.e2e.errors.push(String(err && (err.message || err.code || err)));
      setStatus('closed', 'subscription error');
    },
    complete: function () {},
  });
})();
