// The front desk's calendar: FullCalendar (vendored, static/vendor/fullcalendar/)
// fed by the appointments API. Times are the clinic's, whatever the
// browser's zone: FullCalendar's timeZone is the clinic's IANA zone, made
// exact by the Luxon plugin, so a dropped event's startStr carries the
// clinic's offset and names the instant the server stores.
// Without JavaScript the page's own list and forms do the same work.
(() => {
  "use strict";

  const configEl = document.getElementById("calendar-config");
  const el = document.getElementById("calendar");
  if (!configEl || !el || !window.FullCalendar || !window.luxon) return;

  const config = JSON.parse(configEl.textContent);
  const S = config.strings;
  const { DateTime } = window.luxon;
  const status = document.getElementById("calendar-status");
  const panel = document.getElementById("appointment-panel");
  const filter = document.querySelector("[data-calendar-filter]");
  const show = document.getElementById("calendar-show");
  let current = null; // the appointment shown in the panel
  let opener = null; // the element focus returns to when the panel closes

  function format(template, params) {
    return template.replace(/%\((\w+)\)s/g, (_, key) => String(params[key] ?? ""));
  }

  function announce(text, kind) {
    status.textContent = text;
    status.className = "calendar-status" + (kind ? ` calendar-status-${kind}` : "");
  }

  function csrfToken() {
    const cookie = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
    if (cookie) return decodeURIComponent(cookie.slice("csrftoken=".length));
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  async function post(path, body) {
    let response;
    try {
      response = await fetch(path, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": csrfToken(),
        },
        body: JSON.stringify(body || {}),
      });
    } catch {
      return { ok: false, data: null };
    }
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    return { ok: response.ok, status: response.status, data };
  }

  // The API's error shape: {"detail": ..., "errors": [{"field", "message"}]}.
  function errorText(data) {
    if (!data || !data.detail) return S.failed;
    const parts = [data.detail];
    for (const error of data.errors || []) {
      if (error.message && !parts.includes(error.message)) parts.push(error.message);
    }
    return parts.join(" ");
  }

  function local(iso) {
    return DateTime.fromISO(iso, { zone: config.timeZone }).setLocale(config.locale);
  }

  function when(a) {
    const start = local(a.start);
    return `${start.toLocaleString(DateTime.DATE_MED_WITH_WEEKDAY)} ${start.toFormat("HH:mm")}–${local(a.end).toFormat("HH:mm")}`;
  }

  function dayText(iso) {
    return DateTime.fromISO(iso).setLocale(config.locale).toLocaleString(DateTime.DATE_MED);
  }

  function windowText(window) {
    if (!window) return "";
    if (!window.latest) return format(S.windowOpen, { earliest: dayText(window.earliest) });
    return format(S.window, { earliest: dayText(window.earliest), latest: dayText(window.latest) });
  }

  function selection() {
    const [kind, id] = (show ? show.value : "").split(":");
    return kind && id ? { [kind]: id } : {};
  }

  // FullCalendar's range ends at an excluded midnight; the API's end date is included.
  function lastDay(endStr) {
    const [y, m, d] = endStr.slice(0, 10).split("-").map(Number);
    return new Date(Date.UTC(y, m - 1, d - 1)).toISOString().slice(0, 10);
  }

  function toEvent(a) {
    const colour = config.colours[String(a.practitioner.id)] ?? 0;
    return {
      id: String(a.id),
      title: `${a.patient.name} · ${a.service.name}`, // for FullCalendar's own uses
      start: a.start,
      end: a.end,
      startEditable: a.status === "booked",
      durationEditable: false,
      classNames: [`fc-practitioner-${colour}`, `status-${a.status}`],
      extendedProps: { appointment: a },
    };
  }

  function span(className, text) {
    const node = document.createElement("span");
    node.className = className;
    node.textContent = text;
    return node;
  }

  // Start time and patient first (what the desk looks for), then the
  // service; the practitioner and status, shown by colour, are also spelled
  // out for screen readers.
  function eventContent(arg) {
    const a = arg.event.extendedProps.appointment;
    const first = document.createElement("div");
    first.className = "fc-event-line";
    first.append(span("fc-event-time", local(a.start).toFormat("HH:mm")), " ", span("fc-event-title", a.patient.name));
    const second = document.createElement("div");
    second.className = "fc-event-line fc-event-service";
    second.append(a.service.name);
    const more = span("visually-hidden", `, ${a.practitioner.name}, ${config.statuses[a.status] || a.status}`);
    return { domNodes: [first, second, more] };
  }

  async function loadEvents(info, success, failure) {
    const params = new URLSearchParams({
      clinic: config.clinic,
      start: info.startStr.slice(0, 10),
      end: lastDay(info.endStr),
      ...selection(),
    });
    try {
      const response = await fetch(`${config.api}?${params}`, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) throw new Error(String(response.status));
      const rows = await response.json();
      // Cancelled appointments free their time; the day's list still shows them.
      success(rows.filter((a) => a.status !== "cancelled").map(toEvent));
    } catch (error) {
      announce(S.loadFailed, "error");
      failure(error);
    }
  }

  async function onDrop(info) {
    const a = info.event.extendedProps.appointment;
    const result = await post(`${config.api}/${a.id}/reschedule`, { start: info.event.startStr });
    if (!result.ok) {
      info.revert();
      announce(format(S.notMoved, { message: errorText(result.data) }), "error");
      return;
    }
    const moved = result.data.appointment;
    // Until the refetch lands, a click on the event must show the new time.
    info.event.setExtendedProp("appointment", moved);
    const parts = [format(S.moved, { patient: moved.patient.name, when: when(moved) })];
    const course = result.data.course;
    for (const number of (course && course.misfits) || []) {
      const window = course.windows[number - 1];
      parts.push(format(S.misfit, { number, window: windowText(window) }));
    }
    announce(parts.join(" "), course && course.misfits.length ? "warning" : "ok");
    calendar.refetchEvents();
    if (current && current.id === moved.id) fill(moved);
  }

  // -- the appointment panel ----------------------------------------------------------------

  function field(name) {
    return panel.querySelector(`[data-field="${name}"]`);
  }

  function fill(a) {
    current = a;
    field("patient").textContent = a.patient.name;
    field("service").textContent = a.service.name;
    field("when").textContent = when(a);
    field("practitioner").textContent = a.practitioner.name;
    field("room").textContent = a.room ? a.room.name : S.noRoom;
    field("status").textContent = config.statuses[a.status] || a.status;
    for (const node of panel.querySelectorAll("[data-course-only]")) node.hidden = !a.course;
    field("course").textContent = a.course ? format(S.session, { number: a.session_number }) : "";

    const started = DateTime.fromISO(a.start) <= DateTime.now();
    panel.querySelector("[data-action=check-in]").disabled = a.status !== "booked";
    panel.querySelector("[data-action=no-show]").disabled = a.status !== "booked" || !started;
    const cancellable = a.status === "booked" || a.status === "checked_in";
    for (const node of panel.querySelectorAll("[data-cancel] input, [data-cancel] button")) {
      node.disabled = !cancellable;
    }
    const next = panel.querySelector("[data-link=next]");
    if (a.course) {
      next.href = config.coursePage.replace(/\/0\/$/, `/${a.course}/`);
    } else {
      const params = new URLSearchParams({
        patient: a.patient.id,
        service: a.service.key,
        practitioner: a.practitioner.id,
      });
      next.href = `${config.bookPage}?${params}`;
    }
    panel.querySelector("[data-link=ics]").href = config.icsPage.replace(/\/0\.ics$/, `/${a.id}.ics`);
  }

  function openPanel(a, from) {
    opener = from;
    fill(a);
    panel.hidden = false;
    panel.querySelector("[data-cancel] input").value = "";
    const heading = field("patient");
    heading.scrollIntoView({ block: "nearest" });
    heading.focus();
  }

  function closePanel() {
    panel.hidden = true;
    current = null;
    if (opener && opener.isConnected) opener.focus();
  }

  async function act(action, body, done) {
    if (!current) return;
    const a = current;
    const result = await post(`${config.api}/${a.id}/${action}`, body);
    if (!result.ok) {
      announce(errorText(result.data), "error");
      return;
    }
    announce(format(done, { patient: a.patient.name }), "ok");
    fill(result.data);
    // The button just used may now be disabled, which drops the focus.
    if (!panel.contains(document.activeElement) || document.activeElement.disabled) {
      field("patient").focus();
    }
    calendar.refetchEvents();
  }

  panel.querySelector("[data-action=check-in]").addEventListener("click", () => {
    act("check-in", {}, S.checkedIn);
  });
  panel.querySelector("[data-action=no-show]").addEventListener("click", () => {
    act("no-show", {}, S.noShow);
  });
  panel.querySelector("[data-cancel]").addEventListener("submit", (event) => {
    event.preventDefault();
    const reason = panel.querySelector("[data-cancel] input").value.trim();
    if (!reason) {
      announce(S.reasonRequired, "error");
      panel.querySelector("[data-cancel] input").focus();
      return;
    }
    act("cancel", { reason }, S.cancelled);
  });
  panel.querySelector("[data-close]").addEventListener("click", closePanel);
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") closePanel();
  });

  // -- the calendar -------------------------------------------------------------------------

  let shown = { view: "week", date: config.initialDate };

  function remember(view, date) {
    shown = { view, date };
    const url = new URL(window.location.href);
    url.searchParams.set("view", view);
    url.searchParams.set("date", date);
    const picked = show ? show.value : "";
    if (picked) url.searchParams.set("show", picked);
    else url.searchParams.delete("show");
    window.history.replaceState(null, "", url);
  }

  const calendar = new window.FullCalendar.Calendar(el, {
    timeZone: config.timeZone,
    locale: config.locale,
    firstDay: 1,
    initialView: config.initialView,
    initialDate: config.initialDate,
    headerToolbar: { left: "prev,next today", center: "title", right: "timeGridDay,timeGridWeek" },
    slotMinTime: config.slotMinTime,
    slotMaxTime: config.slotMaxTime,
    businessHours: config.businessHours,
    hiddenDays: config.hiddenDays,
    slotDuration: "00:30:00",
    snapDuration: "00:15:00",
    slotLabelFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    dayHeaderFormat: { weekday: "short", day: "numeric", month: "short" },
    eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    allDaySlot: false,
    nowIndicator: true,
    height: "auto",
    editable: true,
    eventDurationEditable: false,
    eventConstraint: "businessHours",
    eventInteractive: true,
    events: loadEvents,
    eventContent,
    eventDrop: onDrop,
    eventClick: (info) => {
      info.jsEvent.preventDefault();
      openPanel(info.event.extendedProps.appointment, info.el);
    },
    loading: (busy) => {
      el.setAttribute("aria-busy", busy ? "true" : "false");
    },
    datesSet: (info) => {
      remember(info.view.type === "timeGridDay" ? "day" : "week", info.startStr.slice(0, 10));
    },
  });
  el.hidden = false; // shown only when it can work; the day's list is there without it
  calendar.render();
  el.dataset.ready = "true";

  if (show) {
    show.addEventListener("change", () => {
      calendar.refetchEvents();
      remember(shown.view, shown.date);
    });
  }
  if (filter) {
    filter.addEventListener("submit", (event) => {
      event.preventDefault();
      calendar.refetchEvents();
    });
  }
})();
