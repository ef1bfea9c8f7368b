// El Meu Espai's only script, loaded by every page (the Content Security
// Policy allows no inline script). The pages work without it; it brings the
// current menu tab into view on phones, and adds the installable app:
//   - it registers the service worker (sw.js);
//   - on the QR page, it hands the QR code and its expiry to the service
//     worker, which keeps it for offline display, and says so on the page;
//   - on the offline page, it shows the kept QR while it is valid.
(function () {
  'use strict';
  // On a phone the menu is a row of tabs: bring the current one into view.
  var current = document.querySelector('nav.menu [aria-current="page"]');
  if (current && current.scrollIntoView) {
    current.scrollIntoView({ block: 'nearest', inline: 'center' });
  }
  if (!('serviceWorker' in navigator)) {
    return;
  }
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(function () {});

  var figure = document.querySelector('figure.qr[data-expires]');
  if (figure) {
    keepQR(figure);
  }
  var offline = document.getElementById('offline-qr');
  if (offline) {
    showKeptQR(offline);
  }

  function keepQR(fig) {
    var svg = fig.querySelector('svg');
    var caption = fig.querySelector('figcaption');
    if (!svg) {
      return;
    }
    navigator.serviceWorker.addEventListener('message', function (event) {
      if (event.data && event.data.type === 'espai-qr-saved') {
        fig.setAttribute('data-saved', 'true');
        var note = document.querySelector('[data-qr-saved]');
        if (note) {
          note.hidden = false;
        }
      }
    });
    navigator.serviceWorker.startMessages();
    navigator.serviceWorker.ready.then(function (reg) {
      reg.active.postMessage({
        type: 'espai-qr',
        svg: svg.outerHTML,
        expires: fig.getAttribute('data-expires'),
        caption: caption ? caption.textContent : '',
      });
    });
  }

  function showKeptQR(box) {
    fetch('/offline/last-qr.json', { cache: 'no-store' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (m) {
        var left = m ? Date.parse(m.expires) - Date.now() : 0;
        if (!(left > 0)) {
          return;
        }
        box.querySelector('img').src = '/offline/last-qr.svg';
        box.querySelector('figcaption').textContent = m.caption;
        box.setAttribute('data-expires', m.expires);
        box.hidden = false;
        var none = document.getElementById('offline-none');
        if (none) {
          none.hidden = true;
        }
        // An expired code is of no use at a counter: take it away.
        setTimeout(function () {
          box.hidden = true;
          if (none) {
            none.hidden = false;
          }
        }, left);
      })
      .catch(function () {});
  }
})();
