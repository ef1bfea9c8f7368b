// El Meu Espai's service worker, served at /sw.js so that its scope is the
// whole space.
//
// It keeps two things, and nothing else:
//   - the app shell (styles, script, icons, manifest and the /offline page),
//     so that the app opens without a connection;
//   - the last QR code the citizen showed, with its expiry, so that it can
//     still be shown at a counter without a connection. The QR page hands it
//     over (espai.js); it is dropped when it expires and at logout.
// Every other page holds personal data, is sent with Cache-Control: no-store
// and always comes from the network; without a network, a page navigation
// gets the offline page, which shows the last QR while it is valid.
'use strict';

const SHELL = 'espai-shell-v1';
const QR = 'espai-qr-v1';
const OFFLINE = '/offline';
const SHELL_URLS = [
  OFFLINE,
  '/static/espai.css',
  '/static/espai.js',
  '/static/icons/icon.svg',
  '/static/icons/icon-192.png',
  '/static/icons/icon-512.png',
  '/manifest.webmanifest',
];
const QR_SVG = '/offline/last-qr.svg';
const QR_META = '/offline/last-qr.json';
const MAX_SVG = 256 * 1024;
// Leaving the space, or erasing it, forgets the QR.
const FORGET_ON = ['/logout', '/settings/erase'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SHELL).then((c) => c.addAll(SHELL_URLS)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== SHELL && k !== QR).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('message', (event) => {
  const m = event.data;
  if (!m || typeof m !== 'object') {
    return;
  }
  if (m.type === 'espai-qr') {
    event.waitUntil(saveQR(m).then((saved) => {
      if (saved && event.source) {
        event.source.postMessage({ type: 'espai-qr-saved' });
      }
    }));
  }
});

// saveQR keeps the QR markup (our own SVG, shown later as an <img>, where it
// cannot run anything) and its expiry and caption.
async function saveQR(m) {
  const expires = Date.parse(m.expires);
  if (typeof m.svg !== 'string' || !m.svg.startsWith('<svg') || m.svg.length > MAX_SVG || !(expires > Date.now())) {
    return false;
  }
  const meta = { expires: new Date(expires).toISOString(), caption: String(m.caption || '').slice(0, 500) };
  const c = await caches.open(QR);
  await c.put(QR_SVG, new Response(m.svg, { headers: { 'Content-Type': 'image/svg+xml' } }));
  await c.put(QR_META, new Response(JSON.stringify(meta), { headers: { 'Content-Type': 'application/json' } }));
  return true;
}

// lastQR answers the offline page's requests for the kept QR while it is
// valid, and forgets an expired one.
async function lastQR(path) {
  const c = await caches.open(QR);
  const meta = await c.match(QR_META);
  if (meta) {
    const m = await meta.clone().json();
    if (Date.parse(m.expires) > Date.now()) {
      const hit = await c.match(path);
      if (hit) {
        return hit;
      }
    } else {
      await caches.delete(QR);
    }
  }
  return new Response('', { status: 404, headers: { 'Cache-Control': 'no-store' } });
}

async function offlinePage() {
  const hit = await caches.match(OFFLINE, { cacheName: SHELL });
  return hit || new Response('offline', { status: 503, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
}

// navigate goes to the network; without one it shows the offline page. A
// language change refreshes the kept offline page in the new language.
async function navigate(event, url) {
  try {
    const res = await fetch(event.request);
    if (url.pathname === OFFLINE || url.searchParams.has('lang')) {
      event.waitUntil(caches.open(SHELL).then((c) => c.add(OFFLINE)).catch(() => {}));
    }
    return res;
  } catch (err) {
    return offlinePage();
  }
}

// shell answers from the cache at once and refreshes it from the network.
async function shell(event) {
  const c = await caches.open(SHELL);
  const hit = await c.match(event.request, { ignoreSearch: true });
  const net = fetch(event.request).then((res) => {
    if (res.ok) {
      return c.put(event.request, res.clone()).then(() => res);
    }
    return res;
  });
  if (hit) {
    event.waitUntil(net.catch(() => {}));
    return hit;
  }
  return net;
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (req.method === 'POST' && FORGET_ON.includes(url.pathname)) {
    event.waitUntil(caches.delete(QR));
    return;
  }
  if (req.method !== 'GET') {
    return;
  }
  if (url.pathname === QR_SVG || url.pathname === QR_META) {
    event.respondWith(lastQR(url.pathname));
  } else if (req.mode === 'navigate') {
    event.respondWith(navigate(event, url));
  } else if (SHELL_URLS.includes(url.pathname)) {
    event.respondWith(shell(event));
  }
});
