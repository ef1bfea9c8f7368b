// The live state of a presentation request on the verifier console (the
// Content Security Policy allows no inline script). The request page names
// its state endpoint in data-state-url and the state it shows in data-state;
// this script asks the endpoint every 2 seconds and reloads the page when
// the state changes (answered, or expired), so the staff member sees the
// verdict without touching anything. The page works without it: it says so
// and has a refresh link.
(function () {
  'use strict';
  var live = document.querySelector('[data-state-url]');
  if (!live || !window.fetch) {
    return;
  }
  var url = live.getAttribute('data-state-url');
  var shown = live.getAttribute('data-state');
  var every = 2000;
  var failures = 0;

  function schedule() {
    window.setTimeout(poll, every);
  }

  function poll() {
    // redirect: 'error': an ended session redirects to the login page,
    // which is not a state.
    fetch(url, { credentials: 'same-origin', cache: 'no-store', redirect: 'error', headers: { Accept: 'application/json' } })
      .then(function (res) {
        if (!res.ok) {
          throw new Error('HTTP ' + res.status);
        }
        return res.json();
      })
      .then(function (st) {
        failures = 0;
        if (st && st.state && st.state !== shown) {
          window.location.reload();
          return;
        }
        schedule();
      })
      .catch(function () {
        failures++;
        if (failures < 5) {
          schedule();
          return;
        }
        // Give up quietly: the refresh link is still there.
        var lost = live.querySelector('[data-live-lost]');
        if (lost) {
          lost.hidden = false;
        }
      });
  }

  schedule();
})();
