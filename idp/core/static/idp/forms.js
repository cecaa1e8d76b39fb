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
          var left = 60, label = button.textContent;
          var timer = setInterval(function () {
            left -= 1;
            button.textContent = text("resendIn").replace("{seconds}", left);
            if (left <= 0) { clearInterval(timer); button.textContent = label; button.disabled = false; }
          }, 1000);
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
  document.querySelectorAll(".strength[data-for]").forEach(function (meter) {
    var input = document.getElementById(meter.dataset.for);
    var said = meter.querySelector(".strength-text");
    function update() {
      var level = strength(input.value);
      meter.dataset.level = String(level);
      // what a screen reader announces, in the page's words (the template translates them)
      said.textContent = level ? meter.querySelector(".strength-label").textContent +
        meter.querySelector("span[data-level='" + level + "']").textContent : "";
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
      chosen.textContent = input.files && input.files.length ? input.files[0].name : text("noFile");
    });
  });

  // 预览: show a chosen image before 提交.
  document.querySelectorAll("input[type=file][data-preview]").forEach(function (input) {
    input.addEventListener("change", function () {
      var cell = document.getElementById(input.dataset.preview);
      var file = input.files && input.files[0];
      if (!cell || !file) return;
      cell.innerHTML = "";
      if (/^image\//.test(file.type)) {
        var img = document.createElement("img");
        img.alt = text("preview");
        img.src = URL.createObjectURL(file);
        cell.appendChild(img);
      } else {
        cell.textContent = file.name;
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
})();
