// The timeline board (tickets/timeline.html): drop a waiting ticket on a technician's hour to dispatch it
// into that window, with the mouse (native HTML5 drag and drop) or the keyboard (Enter picks a ticket up,
// the arrow keys move over technicians and hours, Enter puts it down, Escape cancels). Either way the page's
// one hidden form is posted with the ticket's version, so a drop on a stale page is refused by the server
// exactly as a button press would be.
(function () {
  "use strict";
  var board = document.querySelector("[data-timeline]");
  var form = document.getElementById("timeline-form");
  if (!board || !form) return;
  var status = document.getElementById("timeline-status");
  var carried = null;
  var sent = false;

  function say(text) {
    if (status) status.textContent = text;
  }

  function cells() {
    return Array.prototype.slice.call(board.querySelectorAll(".tl-cell"));
  }

  function cellAt(row, col) {
    return board.querySelector('.tl-row[data-row="' + row + '"] .tl-cell[data-col="' + col + '"]');
  }

  function send(ticket, cell) {
    if (sent) return; // one drop per page: the answer reloads it with the new versions
    sent = true;
    form.action = ticket.dataset.action;
    form.elements.version.value = ticket.dataset.version;
    form.elements.technician.value = cell.dataset.technician;
    form.elements.day.value = cell.dataset.day;
    form.elements.hour.value = cell.dataset.hour;
    say(ticket.dataset.number + " → " + cell.getAttribute("aria-label"));
    form.submit();
  }

  function focusCell(cell) {
    cells().forEach(function (other) {
      other.tabIndex = -1;
    });
    cell.tabIndex = 0;
    cell.focus();
  }

  function pickUp(ticket) {
    if (carried) carried.classList.remove("tl-carried");
    carried = ticket;
    ticket.classList.add("tl-carried");
    ticket.setAttribute("aria-pressed", "true");
    var first = board.querySelector(".tl-cell:not(.tl-past)") || board.querySelector(".tl-cell");
    if (first) focusCell(first);
    say(ticket.dataset.number);
  }

  function putBack() {
    if (!carried) return;
    var ticket = carried;
    carried = null;
    ticket.classList.remove("tl-carried");
    ticket.removeAttribute("aria-pressed");
    ticket.focus();
  }

  board.querySelectorAll(".tl-ticket").forEach(function (ticket) {
    ticket.addEventListener("dragstart", function (event) {
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", ticket.dataset.ticket);
      carried = ticket;
    });
    ticket.addEventListener("dragend", function () {
      if (!sent) carried = null;
    });
    ticket.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        pickUp(ticket);
      }
    });
  });

  cells().forEach(function (cell) {
    cell.addEventListener("dragover", function (event) {
      if (!carried) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      cell.classList.add("tl-over");
    });
    cell.addEventListener("dragleave", function () {
      cell.classList.remove("tl-over");
    });
    cell.addEventListener("drop", function (event) {
      event.preventDefault();
      cell.classList.remove("tl-over");
      var id = event.dataTransfer.getData("text/plain");
      var ticket = board.querySelector('.tl-ticket[data-ticket="' + id + '"]') || carried;
      if (ticket) send(ticket, cell);
    });
    cell.addEventListener("click", function () {
      if (carried) send(carried, cell);
    });
    cell.addEventListener("keydown", function (event) {
      var row = Number(cell.closest(".tl-row").dataset.row);
      var col = Number(cell.dataset.col);
      var next = null;
      if (event.key === "ArrowRight") next = cellAt(row, col + 1);
      else if (event.key === "ArrowLeft") next = cellAt(row, col - 1);
      else if (event.key === "ArrowDown") next = cellAt(row + 1, col);
      else if (event.key === "ArrowUp") next = cellAt(row - 1, col);
      else if (event.key === "Escape") {
        event.preventDefault();
        putBack();
        return;
      } else if ((event.key === "Enter" || event.key === " ") && carried) {
        event.preventDefault();
        send(carried, cell);
        return;
      } else return;
      event.preventDefault();
      if (next) focusCell(next);
    });
  });

  // Handlers in place: a test (or a fast keyboard user's first key) must not race the script's download.
  board.setAttribute("data-ready", "");
})();
