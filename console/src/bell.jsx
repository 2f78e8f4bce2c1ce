import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "./api.js";
import { Time } from "./components.jsx";
import { useTenants } from "./context.js";
import { navigate } from "./router.js";

const POLL_SECONDS = 15;

/** The caller's notifications: an unread count, and a panel whose entries open the run's page. */
export function Bell({ path }) {
  const { byId } = useTenants();
  const [unread, setUnread] = useState(0);
  const [open, setOpen] = useState(false);
  const [items, setItems] = useState(null);
  const panel = useRef(null);

  const refresh = async () => {
    try {
      const page = await api("/api/me/notifications?unread=true&pageSize=100");
      setUnread(page.items.length);
    } catch {
      // The count stays as it was; the next poll tries again.
    }
  };
  useEffect(() => {
    refresh();
    const timer = setInterval(refresh, POLL_SECONDS * 1000);
    return () => clearInterval(timer);
  }, [path]);
  useEffect(() => {
    if (!open) return undefined;
    api("/api/me/notifications?pageSize=15").then((page) => setItems(page.items), () => setItems([]));
    const close = (event) => {
      if (event.key === "Escape") setOpen(false);
    };
    document.addEventListener("keydown", close);
    return () => document.removeEventListener("keydown", close);
  }, [open]);

  const openNotification = async (event, note) => {
    event.preventDefault();
    setOpen(false);
    if (!note.read) {
      await api(`/api/me/notifications/${encodeURIComponent(note.id)}/read`, { method: "POST" }).catch(() => null);
      refresh();
    }
    navigate(note.page);
  };

  return (
    <div class="bell">
      <button type="button" class="bell-button" aria-expanded={open} aria-controls="notifications"
        aria-label={`Notifications, ${unread} unread`} onClick={() => setOpen(!open)}>
        <svg aria-hidden="true" width="16" height="16" viewBox="0 0 16 16" fill="currentColor">
          <path d="M8 16a2 2 0 0 0 1.985-1.75h-3.97A2 2 0 0 0 8 16ZM3 5a5 5 0 0 1 10 0v2.947c0 .05.015.098.042.139l1.703 2.555A1.519 1.519 0 0 1 13.482 13H2.518a1.516 1.516 0 0 1-1.263-2.36l1.703-2.554A.255.255 0 0 0 3 7.947Z" />
        </svg>
        <span class={`bell-count ${unread ? "" : "bell-zero"}`} data-unread={unread}>{unread > 99 ? "99+" : unread}</span>
      </button>
      {open && (
        <div id="notifications" class="bell-panel" ref={panel} role="region" aria-label="Notifications">
          <h2>Notifications</h2>
          {items === null ? <p class="muted">Loading…</p> : items.length === 0 ? <p class="muted">Nothing yet.</p> : (
            <ul>
              {items.map((note) => (
                <li key={note.id} class={note.read ? "read" : "unread"}>
                  <a href={note.page} onClick={(event) => openNotification(event, note)}>
                    <span class="note-title">{note.title}</span>
                    <span class="note-meta">{byId[note.tenantId]?.displayName || note.tenantId} · <Time iso={note.createdAt} relative /></span>
                  </a>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}
