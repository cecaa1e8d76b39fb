// Progressive enhancement of the account forms. Every form also works without this script.
(function () {
  "use strict";

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // The page's language: base.html puts the translated texts on <body data-text-*>.
  function text(name) {
    return document.body.dataset["text" + name.charAt(0).toUpperCase() + name.slice(1)] || "";
  }

  function showResult(fieldName, ok, message) {
    var out = document.getElementById("result_" + fieldName);
    if (!out) return;
    out.innerHTML = "";
    var span = document.createElement("span");
    span.className = ok ? "ok" : "bad";
    span.textContent = message;
    out.appendChild(span);
  }

  // 检索…是否已注册/已经存在: GET /api/check/<what>
  document.querySelectorAll("[data-check]").forEach(function (button) {
    button.addEventListener("click", function () {
      var input = document.getElementById(button.dataset.field);
      var params = new URLSearchParams({ value: input.value });
      if (button.dataset.typeField) {
        params.set("id_type", document.getElementById(button.dataset.typeField).value);
      }
      fetch("/api/check/" + button.dataset.check + "?" + params, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) { showResult(input.name, data.valid && !data.exists, data.message); })
        .catch(function () { showResult(input.name, false, text("checkFailed")); });
    });
  });

  // A send button the server asked to wait (data-countdown seconds): disabled, counting down.
  function countDown(button, left, showNow) {
    var label = button.textContent;
    button.disabled = true;
    if (showNow) button.textContent = text("resendIn").replace("{seconds}", left);
    var timer = setInterval(function () {
      left -= 1;
      button.textContent = text("resendIn").replace("{seconds}", left);
      if (left <= 0) { clearInterval(timer); button.textContent = label; button.disabled = false; }
    }, 1000);
  }
  document.querySelectorAll("button[data-countdown]").forEach(function (button) {
    countDown(button, parseInt(button.dataset.countdown, 10), true);
  });

  // 获取验证码: POST /api/sms/send, then a 60-second countdown on the button.
  document.querySelectorAll("[data-sms-purpose]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var form = button.form;
      var phone = document.getElementById(button.dataset.phoneField);
      var body = new URLSearchParams({ phone: phone.value, purpose: button.dataset.smsPurpose });
      button.disabled = true;
      fetch("/api/sms/send", {
        method: "POST", credentials: "same-origin", body: body,
        headers: { "X-CSRFToken": csrfToken(form) },
      })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          showResult(phone.name, data.sent, data.message);
          if (!data.sent) { button.disabled = false; return; }
          countDown(button, 60);
        })
        .catch(function () { showResult(phone.name, false, text("sendFailed")); button.disabled = false; });
    });
  });

  // 密码强度 弱/中/强 (the server enforces the rule; this only guides).
  function strength(pw) {
    var classes = [/[A-Z]/, /[a-z]/, /[0-9]/, /[^A-Za-z0-9]/].filter(function (re) { return re.test(pw); }).length;
    if (!pw) return 0;
    if (pw.length >= 12 && classes >= 3) return 3;
    if (pw.length >= 8 && classes >= 3) return 2;
    return 1;
  }
  // Only the server knows the common and breached passwords: 中 or 强 is said once it agrees.
  document.querySelectorAll(".strength[data-for]").forEach(function (meter) {
    var input = document.getElementById(meter.dataset.for);
    var said = meter.querySelector(".strength-text");
    var asked = 0, pending = null;
    function show(level) {
      meter.dataset.level = String(level);
      // what a screen reader announces, in the page's words (the template translates them)
      said.textContent = level ? meter.querySelector(".strength-label").textContent +
        meter.querySelector("span[data-level='" + level + "']").textContent : "";
    }
    function update() {
      var level = strength(input.value), mine = ++asked;
      show(Math.min(level, 1));
      clearTimeout(pending);
      if (level < 2) return;
      pending = setTimeout(function () {
        var form = input.form, body = new URLSearchParams({ password: input.value });
        ["login_name", "name", "phone", "email"].forEach(function (name) {
          if (form.elements[name] && form.elements[name].value) body.append(name, form.elements[name].value);
        });
        fetch("/api/check/password", { method: "POST", credentials: "same-origin", body: body,
                                       headers: { "X-CSRFToken": csrfToken(form) } })
          .then(function (r) { return r.json(); })
          .then(function (data) {
            if (mine !== asked) return;  // the password changed meanwhile
            show(data.valid ? level : 1);
            showResult(input.name, data.valid, data.message);
          })
          .catch(function () {});
      }, 400);
    }
    input.addEventListener("input", update);
    update();
  });

  // 身份类型 → 证件类型: only the document types of the chosen identity type are offered.
  document.querySelectorAll("[data-identity-type-for]").forEach(function (radio) {
    var select = document.getElementById(radio.dataset.identityTypeFor);
    if (!select) return;
    function filter() {
      var chosen = document.querySelector("input[name='" + radio.name + "']:checked");
      if (!chosen) return;
      select.querySelectorAll("option[data-identity-type]").forEach(function (opt) {
        var show = opt.dataset.identityType === chosen.value;
        opt.hidden = !show;
        opt.disabled = !show;
        if (!show && opt.selected) select.value = "";
      });
      select.querySelectorAll("optgroup").forEach(function (group) {
        group.hidden = !group.querySelector("option:not([hidden])");
      });
    }
    radio.addEventListener("change", filter);
    filter();
  });

  // 注册单位类型: 境内单位 give a USCC, others their own registration number.
  var regionRadios = document.querySelectorAll("input[name=region_type]");
  function toggleRegion() {
    var chosen = document.querySelector("input[name=region_type]:checked");
    var uscc = document.getElementById("row_uscc");
    var other = document.getElementById("row_registration_number");
    if (!chosen || !uscc || !other) return;
    uscc.hidden = chosen.value !== "domestic";
    other.hidden = chosen.value === "domestic";
  }
  regionRadios.forEach(function (radio) { radio.addEventListener("change", toggleRegion); });
  toggleRegion();

  // 选择文件 / 未选择文件: one file control in every browser and language. The native input stays
  // the control (labelled, focusable, what the form sends), only drawn over by the same words in
  // every browser; without scripts it shows as it is.
  //
  // A chosen photo larger than the limit (data-max-bytes) is made smaller here, before anything
  // is sent (JPEG, at most 2,400 px a side, less quality and size until it fits); a file that is
  // still too large, or of a type the field does not take, is named at once and the form is not
  // sent — so nothing chosen or typed is lost to a refused upload. The server checks it all again.
  var MAX_SIDE = 2400;

  function megabytes(bytes) { return (bytes / 1048576).toFixed(1); }

  function shrink(file, limit) {
    return createImageBitmap(file).then(function (bitmap) {
      function attempt(scale, quality) {
        var canvas = document.createElement("canvas");
        canvas.width = Math.max(1, Math.round(bitmap.width * scale));
        canvas.height = Math.max(1, Math.round(bitmap.height * scale));
        var context = canvas.getContext("2d");
        context.fillStyle = "#fff";  // a transparent PNG becomes white, not black
        context.fillRect(0, 0, canvas.width, canvas.height);
        context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
        return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", quality); })
          .then(function (blob) {
            if (blob.size <= limit || scale < 0.15) return blob;
            return attempt(scale * 0.8, Math.max(0.6, quality - 0.1));
          });
      }
      return attempt(Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height)), 0.85);
    });
  }

  function accepted(input, file) {
    var types = (input.accept || "").split(",").map(function (t) { return t.trim().toLowerCase(); });
    var name = file.name.toLowerCase();
    return !input.accept || types.some(function (t) { return t && name.endsWith(t); });
  }

  function prepare(input) {
    var file = input.files && input.files[0];
    var limit = parseInt(input.dataset.maxBytes || "0", 10);
    input.removeAttribute("data-refused");
    if (!file) return Promise.resolve(null);
    if (!accepted(input, file)) {
      input.dataset.refused = text("fileType");
      return Promise.resolve(null);
    }
    if (!limit || file.size <= limit) return Promise.resolve(null);
    if (!/^image\/(jpeg|png)$/.test(file.type) || !window.createImageBitmap || !window.DataTransfer) {
      input.dataset.refused = text("fileTooLarge").replace("{size}", megabytes(file.size))
        .replace("{limit}", megabytes(limit));
      return Promise.resolve(null);
    }
    return shrink(file, limit).then(function (blob) {
      if (blob.size > limit) {
        input.dataset.refused = text("fileTooLarge").replace("{size}", megabytes(file.size))
          .replace("{limit}", megabytes(limit));
        return null;
      }
      var smaller = new File([blob], file.name.replace(/\.[^.]*$/, "") + ".jpg", { type: "image/jpeg" });
      var list = new DataTransfer();
      list.items.add(smaller);
      input.files = list.files;
      return text("fileShrunk").replace("{from}", megabytes(file.size)).replace("{to}", megabytes(blob.size));
    }).catch(function () {
      input.dataset.refused = text("fileUnreadable");
      return null;
    });
  }

  function fileError(input) {
    var box = document.getElementById("fileerror_" + input.name);
    if (!box) {
      box = document.createElement("p");
      box.id = "fileerror_" + input.name;
      box.className = "error";
      box.setAttribute("role", "alert");
      (input.closest("td, .field") || input.parentNode).appendChild(box);
    }
    box.textContent = input.dataset.refused || "";
    box.hidden = !input.dataset.refused;
    input.setAttribute("aria-invalid", input.dataset.refused ? "true" : "false");
  }

  document.querySelectorAll("input[type=file]").forEach(function (input) {
    var face = document.createElement("span");
    face.className = "button secondary file-button";
    face.setAttribute("aria-hidden", "true");
    face.textContent = text("chooseFile");
    var chosen = document.createElement("span");
    chosen.className = "file-name";
    chosen.setAttribute("aria-live", "polite");
    chosen.textContent = text("noFile");
    input.classList.add("file-native");
    input.after(face, chosen);
    face.addEventListener("click", function () { input.click(); });
    input.addEventListener("change", function () {
      input.dataset.preparing = "1";
      prepare(input).then(function (note) {
        delete input.dataset.preparing;
        var file = input.files && input.files[0];
        chosen.textContent = file ? file.name + (note ? " · " + note : "") : text("noFile");
        fileError(input);
        preview(input);
      });
    });
  });

  // 预览: show a chosen image before 提交.
  function preview(input) {
    var cell = input.dataset.preview && document.getElementById(input.dataset.preview);
    var file = input.files && input.files[0];
    if (!cell || !file || input.dataset.refused) return;
    cell.innerHTML = "";
    if (/^image\//.test(file.type)) {
      var img = document.createElement("img");
      img.alt = text("preview");
      img.src = URL.createObjectURL(file);
      cell.appendChild(img);
    } else {
      cell.textContent = file.name;
    }
  }

  // A form with a refused file, or a photo still being made smaller, is not sent yet.
  document.querySelectorAll("form[enctype='multipart/form-data']").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var waiting = form.querySelector("input[type=file][data-preparing]");
      var refused = form.querySelector("input[type=file][data-refused]");
      if (waiting || refused) {
        event.preventDefault();
        if (refused) refused.focus();
      }
    });
  });

  // 验证方式: show the phone or the e-mail inputs.
  var methodRadios = document.querySelectorAll("input[name=method]");
  function toggleMethod() {
    var chosen = document.querySelector("input[name=method]:checked");
    if (!chosen) return;
    document.querySelectorAll(".method-phone").forEach(function (el) { el.hidden = chosen.value !== "phone"; });
    document.querySelectorAll(".method-email").forEach(function (el) { el.hidden = chosen.value !== "email"; });
    var code = document.querySelector("label[for=id_code]");
    if (code) code.textContent = chosen.value === "email" ? text("emailCode") : text("phoneCode");
  }
  methodRadios.forEach(function (radio) { radio.addEventListener("change", toggleMethod); });
  toggleMethod();

  // 账号检索: the USCC for enterprises, the mobile number for persons.
  document.querySelectorAll("input[name=kind][type=radio]").forEach(function (radio) {
    function toggle() {
      var chosen = document.querySelector("input[name=kind][type=radio]:checked");
      if (!chosen) return;
      document.querySelectorAll(".method-enterprise").forEach(function (el) { el.hidden = chosen.value !== "enterprise"; });
      document.querySelectorAll(".method-person").forEach(function (el) { el.hidden = chosen.value !== "person"; });
    }
    radio.addEventListener("change", toggle);
    toggle();
  });

  // 换一张: a new captcha image without reloading the page.
  document.querySelectorAll(".captcha-refresh").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      fetch(link.dataset.refreshUrl, { headers: { "X-Requested-With": "XMLHttpRequest" } })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          var box = link.closest(".captcha");
          box.querySelector("img").src = data.image_url;
          var audio = box.querySelector(".captcha-audio");
          if (audio && data.audio_url) audio.href = data.audio_url;
          box.querySelector("input[type=hidden]").value = data.key;
        });
    });
  });

  // The ARIA tab pattern: arrow keys, Home and End move between the tabs; Enter or Space opens one.
  document.querySelectorAll("[role=tablist]").forEach(function (list) {
    var tabs = Array.prototype.slice.call(list.querySelectorAll("[role=tab]"));
    list.addEventListener("keydown", function (event) {
      var i = tabs.indexOf(document.activeElement);
      if (i < 0) return;
      var moves = { ArrowRight: i + 1, ArrowDown: i + 1, ArrowLeft: i - 1, ArrowUp: i - 1, Home: 0, End: tabs.length - 1 };
      if (event.key in moves) {
        event.preventDefault();
        tabs[(moves[event.key] + tabs.length) % tabs.length].focus();
      } else if (event.key === " ") {
        event.preventDefault();
        tabs[i].click();
      }
    });
  });

  // Passkeys (accounts/passkeys.py): the server's options are JSON with base64url fields, which
  // the WebAuthn API wants as bytes, and the credential goes back the same way.
  function fromB64url(value) {
    var text = atob(value.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((value.length + 3) % 4));
    return Uint8Array.from(text, function (c) { return c.charCodeAt(0); }).buffer;
  }
  function toB64url(buffer) {
    var text = String.fromCharCode.apply(null, new Uint8Array(buffer));
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function credentialJSON(credential) {
    var response = credential.response, out = {};
    ["clientDataJSON", "attestationObject", "authenticatorData", "signature", "userHandle"].forEach(function (key) {
      if (response[key]) out[key] = toB64url(response[key]);
    });
    if (response.getTransports) out.transports = response.getTransports();
    return { id: credential.id, rawId: toB64url(credential.rawId), type: credential.type, response: out,
             clientExtensionResults: credential.getClientExtensionResults(),
             authenticatorAttachment: credential.authenticatorAttachment || undefined };
  }
  function postJSON(url, body) {
    var token = document.querySelector("input[name=csrfmiddlewaretoken]");
    return fetch(url, { method: "POST", credentials: "same-origin", body: JSON.stringify(body || {}),
                        headers: { "Content-Type": "application/json", "X-CSRFToken": token ? token.value : "" } })
      .then(function (response) {
        return response.json().then(function (data) {
          if (!response.ok) throw new Error(data.error || text("checkFailed"));
          return data;
        });
      });
  }
  function passkeyFailed(box, error) {
    var out = box.querySelector("[data-passkey-error]");
    // The person closed the browser's dialog or took too long: say so plainly.
    out.textContent = error && error.name === "NotAllowedError" ? text("passkeyCancelled") : (error.message || error);
  }
  if (window.PublicKeyCredential) {
    document.querySelectorAll("[data-passkey-login]").forEach(function (box) {
      box.hidden = false;
      var waiting = null;  // the autofill's request, given up when the button is pressed
      function signIn(mediation) {
        var controller = new AbortController();
        return postJSON(box.dataset.optionsUrl).then(function (options) {
          options.challenge = fromB64url(options.challenge);
          (options.allowCredentials || []).forEach(function (c) { c.id = fromB64url(c.id); });
          var request = { publicKey: options, signal: controller.signal };
          if (mediation) request.mediation = mediation;
          if (mediation) waiting = controller;
          return navigator.credentials.get(request);
        }).then(function (credential) {
          return postJSON(box.dataset.url, { credential: credentialJSON(credential), next: box.dataset.next });
        }).then(function (data) { window.location.assign(data.redirect); });
      }
      box.querySelector("button").addEventListener("click", function () {
        box.querySelector("[data-passkey-error]").textContent = "";
        if (waiting) { waiting.abort(); waiting = null; }
        signIn(null).catch(function (error) { passkeyFailed(box, error); });
      });
      // Conditional UI: the login name field's autofill lists the passkeys too (autocomplete
      // "username webauthn"); choosing one signs in. Nothing is shown if the person never does.
      if (PublicKeyCredential.isConditionalMediationAvailable) {
        PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
          if (available) signIn("conditional").catch(function () { /* aborted, or another way chosen */ });
        });
      }
    });
    document.querySelectorAll("form[data-passkey-enrol]").forEach(function (form) {
      form.hidden = false;
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        form.querySelector("[data-passkey-error]").textContent = "";
        postJSON(form.dataset.optionsUrl, { password: form.elements.password.value }).then(function (options) {
          options.challenge = fromB64url(options.challenge);
          options.user.id = fromB64url(options.user.id);
          (options.excludeCredentials || []).forEach(function (c) { c.id = fromB64url(c.id); });
          return navigator.credentials.create({ publicKey: options });
        }).then(function (credential) {
          return postJSON(form.dataset.url, { name: form.elements.name.value, credential: credentialJSON(credential) });
        }).then(function (data) { window.location.assign(data.redirect); })
          .catch(function (error) { passkeyFailed(form, error); });
      });
    });
  }

  // A SAML message on its way to a business system (saml/post.html): sent at once; without
  // scripts the person presses the form's button.
  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) { form.submit(); });

  // After a refused form the first field in error has the focus (its message is read with it),
  // not the top of the page.
  var firstError = document.querySelector(".field.has-error input:not([type=hidden]), .field.has-error select, " +
                                          ".field.has-error textarea");
  if (firstError) firstError.focus();
})();
