// The QR scanner of the verifier console (the Content Security Policy
// allows no inline script). With the device's camera (the rear one on a
// phone) it reads a citizen's QR code with jsQR (vendor/jsQR.js, loaded
// before this file), puts the text in the paste box and submits the form,
// which the server verifies. Nothing leaves the page before that submission:
// frames are decoded in the browser and dropped. Without a camera, without
// permission or without JavaScript the page still works: paste the text or
// upload a picture.
(function () {
  'use strict';
  var section = document.getElementById('camera');
  var form = document.getElementById('scan-form');
  var field = document.getElementById('payload');
  var video = document.getElementById('scanner-video');
  var status = document.getElementById('scanner-status');
  var start = document.getElementById('scanner-start');
  if (!section || !form || !field || !video || !status || !start || typeof window.jsQR !== 'function' ||
      !navigator.mediaDevices || typeof navigator.mediaDevices.getUserMedia !== 'function') {
    return;
  }
  var canvas = document.createElement('canvas');
  var ctx = canvas.getContext('2d', { willReadFrequently: true });
  // maxSide bounds the decoded frame: enough pixels per module for a
  // version-25 code, little enough to decode several frames a second.
  var maxSide = 1280;
  var every = 120;
  var stream = null;
  var timer = 0;
  var done = false;
  var gen = 0;
  // prefixes are what an Espai presentation code holds: a payload, or this
  // deployment's one-time link. Other codes (a web address, a request's
  // openid4vp:// code) are not sent: the page says so and keeps looking.
  var prefixes = (section.getAttribute('data-prefixes') || '').split(' ').filter(Boolean);

  section.hidden = false;

  function say(key) {
    status.textContent = section.getAttribute('data-msg-' + key) || '';
  }

  // stop frees the camera; a camera still opening when stop is called is
  // closed as soon as it opens (gen tells which open is current).
  function stop() {
    gen++;
    if (timer) {
      window.clearTimeout(timer);
      timer = 0;
    }
    if (stream) {
      stream.getTracks().forEach(function (t) { t.stop(); });
      stream = null;
    }
    video.srcObject = null;
  }

  function open() {
    stop();
    var mine = gen;
    done = false;
    start.hidden = true;
    video.hidden = false;
    say('starting');
    navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { facingMode: 'environment', width: { ideal: 1280 }, height: { ideal: 720 } }
    }).then(function (s) {
      if (mine !== gen) {
        s.getTracks().forEach(function (t) { t.stop(); });
        return false;
      }
      stream = s;
      video.srcObject = s;
      return video.play().then(function () { return true; });
    }).then(function (playing) {
      if (playing && mine === gen) {
        say('looking');
        tick();
      }
    }).catch(function (err) {
      if (mine !== gen) {
        return;
      }
      stop();
      video.hidden = true;
      say(err && (err.name === 'NotAllowedError' || err.name === 'SecurityError') ? 'denied' : 'unavailable');
      start.hidden = false;
    });
  }

  function tick() {
    timer = 0;
    if (done || !stream) {
      return;
    }
    var w = video.videoWidth;
    var h = video.videoHeight;
    if (w > 0 && h > 0) {
      var scale = Math.min(1, maxSide / Math.max(w, h));
      var cw = Math.round(w * scale);
      var ch = Math.round(h * scale);
      if (canvas.width !== cw || canvas.height !== ch) {
        canvas.width = cw;
        canvas.height = ch;
      }
      ctx.drawImage(video, 0, 0, cw, ch);
      var img = ctx.getImageData(0, 0, cw, ch);
      var code = window.jsQR(img.data, cw, ch, { inversionAttempts: 'dontInvert' });
      if (code && code.data) {
        if (ours(code.data)) {
          found(code.data);
          return;
        }
        say('other');
      }
    }
    timer = window.setTimeout(tick, every);
  }

  function ours(text) {
    return prefixes.some(function (p) { return text.indexOf(p) === 0; });
  }

  function found(text) {
    done = true;
    stop();
    say('found');
    field.value = text;
    form.submit();
  }

  start.addEventListener('click', open);
  // Leaving the page (or the tab going to the background) frees the camera.
  window.addEventListener('pagehide', stop);
  document.addEventListener('visibilitychange', function () {
    if (document.hidden && !done) {
      stop();
      video.hidden = true;
      status.textContent = '';
      start.hidden = false;
    }
  });
  open();
})();
