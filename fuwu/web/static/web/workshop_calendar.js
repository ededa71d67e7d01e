// The appointment calendar (web/views/workshop_calendar.py): FullCalendar's MIT build, vendored.
// Times are the workshop's wall clock: the feed gives local times and FullCalendar runs in its
// UTC mode, so the browser's own zone never shifts them; a drag posts the new local time, which
// the server reads in the site's zone and checks with booking.rebook, or refuses (the event goes
// back and the message is shown).
(function () {
  "use strict";
  var el = document.getElementById("calendar");
  var source = document.getElementById("calendar-config");
  if (!el || !source || typeof FullCalendar === "undefined") return;
  var config = JSON.parse(source.textContent);
  var texts = config.texts;
  var errorBox = document.querySelector("[data-calendar-error]");
  var okBox = document.querySelector("[data-calendar-ok]");
  var filters = document.querySelector("[data-calendar-filters]");
  var small = window.matchMedia("(max-width: 767.98px)");
  var csrf = "";
  try {
    csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  } catch (e) { /* no token: a drag is refused by the server */ }

  function say(box, text) {
    [errorBox, okBox].forEach(function (b) { if (b) b.classList.add("d-none"); });
    if (!box) return;
    box.textContent = text;
    box.classList.remove("d-none");
  }

  // "Now" at the workshop, as a wall-clock string (the calendar runs in UTC mode).
  function siteNow() {
    var parts = {};
    new Intl.DateTimeFormat("en-CA", {
      timeZone: config.timezone, hourCycle: "h23",
      year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit"
    }).formatToParts(new Date()).forEach(function (p) { parts[p.type] = p.value; });
    return parts.year + "-" + parts.month + "-" + parts.day + "T" + parts.hour + ":" + parts.minute + ":" + parts.second;
  }

  function nextDay(day) {
    var d = new Date(day + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + 1);
    return d.toISOString().slice(0, 10);
  }

  function fmt(n) { return String(Number(n)); }

  function load(info, success, failure) {
    var params = new URLSearchParams({ start: info.startStr.slice(0, 10), end: info.endStr.slice(0, 10) });
    if (filters) {
      ["advisor", "technician"].forEach(function (name) {
        var v = filters.elements[name].value;
        if (v) params.set(name, v);
      });
    }
    fetch(config.feed + "?" + params.toString(), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (res) {
        if (!res.ok) { say(errorBox, res.body.message || texts.failed); failure(res.body); return; }
        var events = res.body.events.map(function (e) {
          return {
            id: String(e.id), title: e.title, start: e.start_local, end: e.end_local,
            backgroundColor: e.color, borderColor: e.walk_in ? "#fd7e14" : e.color,
            editable: config.editable && e.editable, durationEditable: false,
            classNames: e.walk_in ? ["fw-walk-in"] : [], extendedProps: e
          };
        });
        res.body.days.forEach(function (d) {
          if (!d.working) {
            events.push({ start: d.day, end: nextDay(d.day), allDay: true, display: "background", classNames: ["fw-closed"], title: texts.closed });
            events.push({ start: d.day + "T00:00:00", end: nextDay(d.day) + "T00:00:00", display: "background", classNames: ["fw-closed"] });
            return;
          }
          events.push({ start: d.day + "T" + config.lunch[0], end: d.day + "T" + config.lunch[1], display: "background", classNames: ["fw-lunch"], title: texts.lunch });
          var left = Number(d.left);
          events.push({
            start: d.day, allDay: true, editable: false, classNames: ["fw-capacity", left <= 0 ? "fw-full" : "fw-open"],
            title: texts.left + " " + fmt(d.left) + "/" + fmt(d.bookable) + " " + texts.hours + " · " + texts.reserve + " " + fmt(d.reserve),
            extendedProps: { capacity: true }
          });
        });
        success(events);
      })
      .catch(function (err) { say(errorBox, texts.failed); failure(err); });
  }

  function showEvent(e) {
    var modalEl = document.getElementById("event-modal");
    if (!modalEl || typeof bootstrap === "undefined") {
      window.location.href = e.case_url || e.url;
      return;
    }
    var values = {
      customer: e.customer, time: e.start_local.replace("T", " ").slice(0, 16) + " – " + e.end_local.slice(11, 16),
      vehicle: e.vehicle || "—", jobs: e.jobs || "—", hours: fmt(e.hours) + " " + texts.hours,
      advisor: e.advisor, technician: e.technician || "—",
      status: e.status_label + (e.walk_in ? " · " + texts.walk_in : "")
    };
    Object.keys(values).forEach(function (k) {
      var f = modalEl.querySelector('[data-field="' + k + '"]');
      if (f) f.textContent = values[k];
    });
    modalEl.querySelector('[data-link="day"]').setAttribute("href", e.url);
    var caseLink = modalEl.querySelector('[data-link="case"]');
    if (e.case_url) { caseLink.setAttribute("href", e.case_url); caseLink.classList.remove("d-none"); }
    else { caseLink.classList.add("d-none"); caseLink.removeAttribute("href"); }
    bootstrap.Modal.getOrCreateInstance(modalEl).show();
  }

  function move(info) {
    var body = new FormData();
    body.append("appointment", info.event.id);
    body.append("start", info.event.startStr.slice(0, 19));
    fetch(config.move, { method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRFToken": csrf, Accept: "application/json" } })
      .then(function (r) { return r.json().catch(function () { return { ok: false }; }); })
      .then(function (res) {
        if (!res.ok) {
          info.revert();
          say(errorBox, res.message || texts.failed);
          return;
        }
        say(okBox, res.message);
        calendar.refetchEvents(); // the days' hours left changed
      })
      .catch(function () { info.revert(); say(errorBox, texts.failed); });
  }

  function hourOf(hhmm, up) {
    var h = Number(hhmm.slice(0, 2)), m = Number(hhmm.slice(3, 5));
    if (up && m > 0) h += 1;
    return (h < 10 ? "0" : "") + h + ":00:00";
  }

  var every = [0, 1, 2, 3, 4, 5, 6]; // closed days are marked from the site's calendar instead
  var calendar = new FullCalendar.Calendar(el, {
    locale: config.locale,
    timeZone: "UTC",
    now: siteNow,
    initialDate: config.date,
    initialView: small.matches ? "timeGridDay" : "timeGridWeek",
    headerToolbar: small.matches
      ? { left: "prev,next today", center: "title", right: "timeGridDay,listWeek" }
      : { left: "prev,next today", center: "title", right: "timeGridDay,timeGridWeek,listWeek" },
    firstDay: 1,
    // FullCalendar's arrow icons are a data: font, which the Content-Security-Policy refuses.
    buttonIcons: false,
    buttonText: { prev: "‹", next: "›" },
    nowIndicator: true,
    allDaySlot: true,
    slotMinTime: hourOf(config.opens, false),
    slotMaxTime: hourOf(config.closes, true),
    slotDuration: config.slot,
    snapDuration: config.slot,
    businessHours: [
      { daysOfWeek: every, startTime: config.opens, endTime: config.lunch[0] },
      { daysOfWeek: every, startTime: config.lunch[1], endTime: config.closes }
    ],
    editable: config.editable,
    eventDurationEditable: false,
    contentHeight: "auto",
    expandRows: true,
    stickyHeaderDates: true,
    eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    slotLabelFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    events: load,
    eventClick: function (info) {
      info.jsEvent.preventDefault();
      if (info.event.extendedProps.capacity || info.event.display === "background") return;
      showEvent(info.event.extendedProps);
    },
    eventDrop: move,
    eventDidMount: function (info) {
      var e = info.event.extendedProps;
      if (e && e.id) {
        info.el.setAttribute("data-testid", "event");
        info.el.setAttribute("data-appointment", String(e.id));
        info.el.setAttribute("title", info.event.title + (e.technician ? " · " + e.technician : ""));
      } else if (e && e.capacity) {
        info.el.setAttribute("data-testid", "day-capacity");
      }
    },
    windowResize: function () {
      var view = calendar.view.type;
      if (small.matches && view === "timeGridWeek") calendar.changeView("timeGridDay");
    }
  });
  calendar.render();
  el.calendar = calendar; // for the browser tests

  if (filters) {
    filters.addEventListener("change", function () {
      var url = new URL(window.location.href);
      ["advisor", "technician"].forEach(function (name) {
        var v = filters.elements[name].value;
        if (v) url.searchParams.set(name, v); else url.searchParams.delete(name);
      });
      window.history.replaceState(null, "", url.toString());
      calendar.refetchEvents();
    });
    filters.addEventListener("submit", function (ev) { ev.preventDefault(); });
  }
})();
