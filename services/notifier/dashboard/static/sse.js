// Server-sent events parser for the dashboard (fetch() streams, since EventSource cannot send
// the credential header). Follows the WHATWG event-stream rules the dashboard needs: data,
// event and retry fields, comments, and CR, LF or CRLF line ends split across chunks.
"use strict";

(function (ns) {
  function createParser(onEvent, onRetry) {
    let buffer = "";
    let dataLines = [];
    let eventName = "";

    function field(line) {
      if (line === "") {
        if (dataLines.length > 0) {
          onEvent(eventName || "message", dataLines.join("\n"));
        }
        dataLines = [];
        eventName = "";
        return;
      }
      if (line.charAt(0) === ":") {
        return; // comment (keep-alive)
      }
      const colon = line.indexOf(":");
      const name = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? "" : line.slice(colon + 1);
      if (value.charAt(0) === " ") {
        value = value.slice(1);
      }
      if (name === "data") {
        dataLines.push(value);
      } else if (name === "event") {
        eventName = value;
      } else if (name === "retry" && /^\d+$/.test(value)) {
        onRetry(parseInt(value, 10));
      }
    }

    return function push(text) {
      buffer += text;
      for (;;) {
        const lf = buffer.indexOf("\n");
        const cr = buffer.indexOf("\r");
        if (lf === -1 && cr === -1) {
          return;
        }
        let end;
        let next;
        if (cr !== -1 && (lf === -1 || cr < lf)) {
          if (cr === buffer.length - 1) {
            return; // a CR at the end may be the first half of CRLF
          }
          end = cr;
          next = buffer.charAt(cr + 1) === "\n" ? cr + 2 : cr + 1;
        } else {
          end = lf;
          next = lf + 1;
        }
        const line = buffer.slice(0, end);
        buffer = buffer.slice(next);
        field(line);
      }
    };
  }

  ns.createParser = createParser;
})((window.prescreenDashboard = window.prescreenDashboard || {}));
