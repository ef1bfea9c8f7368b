// Passkeys (WebAuthn) on the pages that offer them: the settings page
// (register one) and the second step of a login (use one). Each is an
// ordinary form marked data-passkey="create" or "get"; without this script,
// or without WebAuthn, the form's status line says what is missing and the
// server answers a submitted form the same way.
//
// On submit: POST the form's CSRF token (and, to register, the name) to its
// data-options URL; turn the options' base64url members into bytes; run
// navigator.credentials.create or .get; put the answer, binary members in
// base64url, as JSON in the form's "credential" field; submit the form.
// The server holds the challenge, for one answer within five minutes.
(function () {
  'use strict';

  var forms = document.querySelectorAll('form[data-passkey]');
  for (var i = 0; i < forms.length; i++) {
    setUp(forms[i]);
  }

  function setUp(form) {
    var status = form.querySelector('[data-passkey-status]');
    var button = form.querySelector('button[type=submit]');
    var problem = unusable(form);
    if (problem) {
      status.textContent = form.getAttribute('data-msg-' + problem);
      button.disabled = true;
      form.setAttribute('data-passkey-ready', 'false');
      return;
    }
    status.textContent = '';
    form.setAttribute('data-passkey-ready', 'true');
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      if (typeof form.reportValidity === 'function' && !form.reportValidity()) {
        return;
      }
      button.disabled = true;
      status.textContent = form.getAttribute('data-msg-working');
      run(form).then(function (answer) {
        form.elements.credential.value = JSON.stringify(answer);
        form.submit();
      }).catch(function (err) {
        button.disabled = false;
        status.textContent = (err && err.fromServer) || form.getAttribute('data-msg-failed');
      });
    });
  }

  // unusable says why this page cannot run WebAuthn: "unsupported" (no
  // API, or not a secure context) or "host" (the page is at another host
  // than the relying party's, such as 127.0.0.1 for localhost).
  function unusable(form) {
    if (!window.PublicKeyCredential || !navigator.credentials || !window.isSecureContext || !window.fetch) {
      return 'unsupported';
    }
    var rp = form.getAttribute('data-rp-id');
    var host = location.hostname;
    if (host !== rp && host.slice(-(rp.length + 1)) !== '.' + rp) {
      return 'host';
    }
    return '';
  }

  function run(form) {
    var body = new URLSearchParams();
    body.set('csrf', form.elements.csrf.value);
    if (form.elements.name) {
      body.set('name', form.elements.name.value);
    }
    return fetch(form.getAttribute('data-options'), {
      method: 'POST',
      body: body,
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok || !data.publicKey) {
          var e = new Error('options refused');
          e.fromServer = data.error;
          throw e;
        }
        return data;
      });
    }).then(function (options) {
      if (form.getAttribute('data-passkey') === 'create') {
        return navigator.credentials.create({ publicKey: creationOptions(options.publicKey) }).then(encodeCreated);
      }
      return navigator.credentials.get({ publicKey: requestOptions(options.publicKey) }).then(encodeAsserted);
    });
  }

  function creationOptions(o) {
    o.challenge = fromB64(o.challenge);
    o.user.id = fromB64(o.user.id);
    o.excludeCredentials = (o.excludeCredentials || []).map(descriptor);
    return o;
  }

  function requestOptions(o) {
    o.challenge = fromB64(o.challenge);
    o.allowCredentials = (o.allowCredentials || []).map(descriptor);
    return o;
  }

  function descriptor(d) {
    d.id = fromB64(d.id);
    return d;
  }

  function common(cred) {
    return {
      id: cred.id,
      rawId: toB64(cred.rawId),
      type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
    };
  }

  function encodeCreated(cred) {
    var out = common(cred);
    out.response = {
      clientDataJSON: toB64(cred.response.clientDataJSON),
      attestationObject: toB64(cred.response.attestationObject),
      transports: cred.response.getTransports ? cred.response.getTransports() : [],
    };
    return out;
  }

  function encodeAsserted(cred) {
    var out = common(cred);
    out.response = {
      clientDataJSON: toB64(cred.response.clientDataJSON),
      authenticatorData: toB64(cred.response.authenticatorData),
      signature: toB64(cred.response.signature),
    };
    if (cred.response.userHandle) {
      out.response.userHandle = toB64(cred.response.userHandle);
    }
    return out;
  }

  // base64url (no padding) to bytes and back.
  function fromB64(s) {
    s = s.replace(/-/g, '+').replace(/_/g, '/');
    while (s.length % 4) {
      s += '=';
    }
    var bin = atob(s);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) {
      out[i] = bin.charCodeAt(i);
    }
    return out.buffer;
  }

  function toB64(buf) {
    var bytes = new Uint8Array(buf);
    var bin = '';
    for (var i = 0; i < bytes.length; i++) {
      bin += String.fromCharCode(bytes[i]);
    }
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
})();
