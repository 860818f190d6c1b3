// The browser side of the e2e browser test: the recommended client (client/, bundled by e2e/browser.ts)
// subscribes over wss:// to the page's own origin, through the proxy, and renders each event.
(function () {
  'use strict';
  var config = window.E2E_PAGE_CONFIG;
  var statusEl = document.getElementById('status');
  var metaEl = document.getElementById('meta');
  var listEl = document.getElementById('messages');
  var received = [];
  window.e2e = { received: received, errors: [], state: 'connecting' };

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
    on: {
      connected: function () {
        setStatus('connected', 'connected');
      },
      closed: function (e) {
        setStatus('closed', 'closed (' + (e && e.code) + '), reconnecting…');
      },
    },
  });
  window.e2e.client = client;

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
