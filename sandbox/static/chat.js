// tinbao sandbox web chat. Bot text is rendered with DOM nodes and textContent only.
"use strict";

const $ = (id) => document.getElementById(id);
const state = {
  bot: null,
  users: [],
  groups: [],
  current: null, // {key, kind: "private" | "group", userId, groupId}
  lastSeq: 0,
  unread: new Set(),
};

// --- HTTP ------------------------------------------------------------------------------------

async function api(path, options = {}) {
  const headers = { "X-Sandbox-Chat": "1", ...(options.headers || {}) };
  const response = await fetch(path, { ...options, headers });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

function postJSON(path, data) {
  return api(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(data),
  });
}

// --- small DOM helpers -------------------------------------------------------------------------

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node[key] = value;
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

function toast(text) {
  const box = $("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, 4000);
}

function showAlert(text) {
  $("alert-text").textContent = text;
  $("alert").showModal();
}

function fail(error) {
  toast("⚠ " + error.message);
}

function safeHref(url) {
  try {
    const parsed = new URL(url, window.location.href);
    return ["http:", "https:", "tg:", "mailto:"].includes(parsed.protocol) ? parsed.href : null;
  } catch (_) {
    return null;
  }
}

// --- entities → DOM (offsets are UTF-16 code units, which is what JS strings use) ---------------

function entityNode(entity, text) {
  const inner = text.slice(entity.offset, entity.offset + entity.length);
  switch (entity.type) {
    case "bold": return el("b");
    case "italic": return el("i");
    case "underline": return el("u");
    case "strikethrough": return el("s");
    case "code": return el("code");
    case "pre": return el("pre", { dataset: { language: entity.language || "" } });
    case "blockquote": return el("blockquote");
    case "expandable_blockquote":
      return el("blockquote", {
        class: "expandable collapsed",
        title: "Click to expand",
        onclick: (event) => event.currentTarget.classList.toggle("collapsed"),
      });
    case "spoiler":
      return el("span", {
        class: "spoiler",
        title: "Spoiler: click to show",
        onclick: (event) => event.currentTarget.classList.add("revealed"),
      });
    case "text_link":
    case "url":
    case "email": {
      const target = entity.type === "text_link" ? entity.url
        : entity.type === "email" ? "mailto:" + inner
        : (/^[a-z][a-z0-9+.-]*:/i.test(inner) ? inner : "http://" + inner);
      const href = safeHref(target);
      if (!href) return el("span", { class: "link-blocked", title: target });
      return el("a", { href, target: "_blank", rel: "noopener noreferrer", title: href });
    }
    case "bot_command":
      return el("span", {
        class: "command",
        onclick: () => sendText(inner),
        title: "Send " + inner,
      });
    default:
      return el("span", { class: "entity-" + entity.type });
  }
}

function byPosition(a, b) {
  return a.offset - b.offset || b.length - a.length;
}

function buildEntities(parent, text, start, end, list) {
  let cursor = start;
  let index = 0;
  while (index < list.length) {
    const entity = list[index++];
    const from = Math.max(entity.offset, cursor);
    const to = Math.min(entity.offset + entity.length, end);
    if (from >= to) continue;
    const children = [];
    const leftovers = [];
    while (index < list.length && list[index].offset < to) {
      const child = list[index++];
      children.push(child);
      // An entity crossing its parent's end continues after it.
      if (child.offset + child.length > to) {
        leftovers.push({ ...child, offset: to, length: child.offset + child.length - to });
      }
    }
    if (leftovers.length) {
      const rest = list.splice(index).concat(leftovers).sort(byPosition);
      list.push(...rest);
    }
    if (from > cursor) parent.append(text.slice(cursor, from));
    const node = entityNode(entity, text);
    parent.append(node);
    buildEntities(node, text, from, to, children);
    cursor = to;
  }
  if (cursor < end) parent.append(text.slice(cursor, end));
}

function renderText(text, entities) {
  const box = el("div", { class: "text" });
  buildEntities(box, text, 0, text.length, (entities || []).slice().sort(byPosition));
  return box;
}

// --- messages --------------------------------------------------------------------------------

function userName(user) {
  return [user.first_name, user.last_name].filter(Boolean).join(" ");
}

function fileLink(file, label) {
  return el("a", {
    href: "/chat/api/files/" + encodeURIComponent(file.file_id),
    download: file.file_name || "",
    target: "_blank",
    rel: "noopener",
  }, label);
}

function mediaNode(message) {
  if (message.photo) {
    const largest = message.photo[message.photo.length - 1];
    return el("img", {
      class: "photo",
      src: "/chat/api/files/" + encodeURIComponent(largest.file_id),
      alt: "photo " + largest.width + "×" + largest.height,
    });
  }
  if (message.document) {
    const doc = message.document;
    return fileLink(doc, "📄 " + (doc.file_name || "document") + " (" + doc.file_size + " bytes)");
  }
  if (message.video) return fileLink(message.video, "🎬 video (" + message.video.duration + " s)");
  if (message.voice) return fileLink(message.voice, "🎤 voice (" + message.voice.duration + " s)");
  if (message.audio) return fileLink(message.audio, "🎵 audio");
  if (message.location) {
    return el("div", { class: "location" },
      "📍 " + message.location.latitude + ", " + message.location.longitude);
  }
  if (message.contact) {
    return el("div", { class: "contact" }, "👤 " + message.contact.first_name + " " +
      message.contact.phone_number);
  }
  return null;
}

function serviceText(message) {
  const who = userName(message.from);
  if (message.new_chat_members) {
    const added = message.new_chat_members.map(userName).join(", ");
    return added === who ? who + " joined the group" : who + " added " + added;
  }
  if (message.left_chat_member) return userName(message.left_chat_member) + " left the group";
  return null;
}

function keyboardNode(message) {
  const rows = (message.reply_markup || {}).inline_keyboard;
  if (!rows) return null;
  const box = el("div", { class: "inline-keyboard" });
  for (const row of rows) {
    const line = el("div", { class: "row" });
    for (const button of row) {
      if (button.url) {
        const href = safeHref(button.url);
        line.append(el("a", { class: "button", href: href || "#", target: "_blank",
          rel: "noopener noreferrer" }, button.text + " ↗"));
      } else if (button.callback_data !== undefined) {
        line.append(el("button", {
          type: "button",
          class: "button",
          onclick: () => press(message.message_id, button.callback_data),
        }, button.text));
      } else {
        line.append(el("button", { type: "button", class: "button", disabled: true }, button.text));
      }
    }
    box.append(line);
  }
  return box;
}

function renderMessage(item) {
  const message = item.message;
  const service = serviceText(message);
  if (service) {
    return el("li", { class: "service", dataset: { id: message.message_id } }, service);
  }
  const time = new Date(message.date * 1000).toLocaleTimeString();
  const meta = el("div", { class: "meta" },
    el("span", { class: "sender" }, item.outgoing ? "🤖 " + userName(message.from) : userName(message.from)),
    el("span", { class: "time" }, " " + time),
    message.edit_date ? el("span", { class: "edited" }, " edited") : null,
    item.silent ? el("span", { class: "silent", title: "sent silently" }, " 🔕") : null,
  );
  const bubble = el("li", {
    class: item.outgoing ? "bot" : "person",
    dataset: { id: message.message_id },
  }, meta);
  if (message.forward_origin) {
    const origin = message.forward_origin.sender_user;
    bubble.append(el("div", { class: "forwarded" }, "Forwarded from " + (origin ? userName(origin) : "?")));
  }
  if (message.reply_to_message) {
    const quoted = message.reply_to_message;
    bubble.append(el("div", { class: "reply-quote" },
      userName(quoted.from) + ": " + (quoted.text || quoted.caption || "[media]").slice(0, 80)));
  }
  bubble.append(mediaNode(message) || "");
  const text = message.text !== undefined ? message.text : message.caption;
  if (text) {
    bubble.append(renderText(text, message.text !== undefined ? message.entities : message.caption_entities));
  }
  bubble.append(keyboardNode(message) || "");
  return bubble;
}

function showMessage(item) {
  const list = $("messages");
  const node = renderMessage(item);
  const old = list.querySelector(`li[data-id="${item.message.message_id}"]`);
  if (old) old.replaceWith(node);
  else list.append(node);
  node.scrollIntoView({ block: "end" });
}

// --- reply keyboard and commands ----------------------------------------------------------------

function showReplyKeyboard(markup) {
  const box = $("reply-keyboard");
  box.replaceChildren();
  if (!markup || !markup.keyboard) return;
  for (const row of markup.keyboard) {
    const line = el("div", { class: "row" });
    for (const button of row) {
      line.append(el("button", {
        type: "button",
        class: "button",
        onclick: () => pressReplyButton(button, markup),
      }, button.text + (button.request_location ? " 📍" : "") + (button.request_contact ? " 👤" : "")));
    }
    box.append(line);
  }
}

function showForceReply(markup) {
  $("text").placeholder = (markup && markup.input_field_placeholder) || "Message or /command";
}

function showCommands(commands) {
  const box = $("commands");
  box.replaceChildren(...commands.map((c) => el("li", {},
    el("button", { type: "button", onclick: () => { box.hidden = true; sendText("/" + c.command); } },
      el("b", {}, "/" + c.command), " — " + c.description))));
  $("commands-button").hidden = commands.length === 0;
}

// --- acting ----------------------------------------------------------------------------------

function actingUserId() {
  if (!state.current) return null;
  if (state.current.kind === "private") return state.current.userId;
  return Number($("sender").value) || null;
}

function chatPath(suffix) {
  return "/chat/api/chats/" + encodeURIComponent(state.current.key) + suffix;
}

async function sendText(text) {
  if (!state.current || !text.trim()) return;
  try {
    await postJSON(chatPath("/messages"), { user_id: actingUserId(), text });
  } catch (error) {
    fail(error);
  }
}

async function sendLocation(latitude, longitude) {
  await postJSON(chatPath("/messages"), {
    user_id: actingUserId(),
    location: { latitude: Number(latitude), longitude: Number(longitude) },
  });
}

async function pressReplyButton(button, markup) {
  try {
    if (button.request_location) {
      const form = $("location-form");
      await sendLocation(form.latitude.value, form.longitude.value);
    } else if (button.request_contact) {
      await postJSON(chatPath("/messages"), { user_id: actingUserId(), contact: true });
    } else {
      await sendText(button.text);
    }
    if (markup.one_time_keyboard) showReplyKeyboard(null);
  } catch (error) {
    fail(error);
  }
}

async function press(messageId, data) {
  try {
    await postJSON(chatPath("/press"), { user_id: actingUserId(), message_id: messageId, data });
  } catch (error) {
    fail(error);
  }
}

// --- sidebar and chat selection ----------------------------------------------------------------

function chatTools() {
  const tools = $("chat-tools");
  tools.replaceChildren();
  const current = state.current;
  if (!current) return;
  if (current.kind === "private") {
    const user = state.users.find((u) => u.id === current.userId);
    if (!user) return;
    tools.append(el("button", {
      type: "button",
      onclick: () => postJSON(`/chat/api/users/${user.id}/block`, { blocked: !user.blocked }).catch(fail),
    }, user.blocked ? "Unblock bot" : "Block bot"));
    return;
  }
  const group = state.groups.find((g) => g.id === current.groupId);
  if (!group) return;
  const inGroup = ["member", "administrator"].includes(group.bot_status);
  const botAction = (action) => () =>
    postJSON(`/chat/api/groups/${group.id}/bot`, { action, by: actingUserId() }).catch(fail);
  tools.append(el("button", { type: "button", onclick: botAction(inGroup ? "remove" : "add") },
    inGroup ? "Remove bot" : "Add bot"));
  if (inGroup) {
    const admin = group.bot_status === "administrator";
    tools.append(el("button", { type: "button", onclick: botAction(admin ? "unadmin" : "admin") },
      admin ? "Demote bot" : "Make bot admin"));
  }
  const memberIds = new Set(group.members.filter((m) => ["member", "creator", "administrator"].includes(m.status)).map((m) => m.id));
  const outsiders = state.users.filter((u) => !memberIds.has(u.id));
  if (outsiders.length) {
    const pick = el("select", { "aria-label": "Add member" },
      ...outsiders.map((u) => el("option", { value: String(u.id) }, u.name)));
    tools.append(pick, el("button", {
      type: "button",
      onclick: () => postJSON(`/chat/api/groups/${group.id}/members`, { user_id: Number(pick.value), action: "add" }).catch(fail),
    }, "Add member"));
  }
}

function renderSidebar() {
  const residents = $("residents");
  residents.replaceChildren(...state.users.map((user) => el("li", {},
    el("button", {
      type: "button",
      class: "pick" + (state.current && state.current.key === user.chat_key ? " active" : "") +
        (state.unread.has(user.chat_key) ? " unread" : ""),
      onclick: () => openChat({ key: user.chat_key, kind: "private", userId: user.id }),
    }, user.name + " (" + (user.language_code || "?") + ")" + (user.blocked ? " ⛔" : "")))));
  const groups = $("groups");
  groups.replaceChildren(...state.groups.map((group) => el("li", {},
    el("button", {
      type: "button",
      class: "pick" + (state.current && state.current.key === group.chat_key ? " active" : "") +
        (state.unread.has(group.chat_key) ? " unread" : ""),
      onclick: () => openChat({ key: group.chat_key, kind: "group", groupId: group.id }),
    }, "👥 " + group.title))));
  $("group-members").replaceChildren(el("legend", {}, "Members"), ...state.users.map((user) =>
    el("label", {}, el("input", { type: "checkbox", name: "member", value: String(user.id) }), " " + user.name)));
  $("bot-name").textContent = state.bot ? "bot @" + state.bot.username : "";
}

function renderSenders() {
  const select = $("sender");
  const current = state.current;
  if (!current || current.kind !== "group") {
    select.hidden = true;
    return;
  }
  const group = state.groups.find((g) => g.id === current.groupId);
  const people = group ? group.members.filter((m) => !m.is_bot && m.status !== "left" && m.status !== "kicked") : [];
  const previous = select.value;
  select.replaceChildren(...people.map((m) => el("option", { value: String(m.id) }, m.name)));
  if (people.some((m) => String(m.id) === previous)) select.value = previous;
  select.hidden = false;
}

async function refreshState() {
  const data = await api("/chat/api/state");
  state.bot = data.bot;
  state.users = data.users;
  state.groups = data.groups;
  if (!state.lastSeq) state.lastSeq = data.last_seq;
  renderSidebar();
  renderSenders();
  chatTools();
}

async function openChat(target) {
  state.current = target;
  state.unread.delete(target.key);
  const viewer = target.kind === "private" ? target.userId : "";
  const data = await api(chatPath("?user_id=" + viewer));
  $("chat-title").textContent = data.title;
  $("messages").replaceChildren();
  data.messages.forEach(showMessage);
  showReplyKeyboard(data.reply_keyboard);
  showForceReply(data.force_reply);
  showCommands(data.commands);
  $("composer").hidden = false;
  $("attach").hidden = false;
  renderSidebar();
  renderSenders();
  chatTools();
  $("text").focus();
}

// --- live updates ----------------------------------------------------------------------------

function handleEvent(event) {
  if (event.kind === "state") {
    refreshState().catch(fail);
    return;
  }
  const current = state.current;
  if (!current || event.chat_key !== current.key) {
    if (event.chat_key && (event.kind === "message" || event.kind === "edit")) {
      state.unread.add(event.chat_key);
      renderSidebar();
    }
    return;
  }
  const data = event.data;
  if (event.kind === "message" || event.kind === "edit") {
    showMessage(data);
    if (event.kind === "message" && data.outgoing) {
      $("typing").textContent = "";
      showReplyKeyboard(data.reply_keyboard);
      showForceReply(data.force_reply);
    }
  } else if (event.kind === "delete") {
    const node = $("messages").querySelector(`li[data-id="${data.message_id}"]`);
    if (node) node.remove();
  } else if (event.kind === "callback_answer") {
    if (data.user_id === actingUserId() && data.text) {
      if (data.show_alert) showAlert(data.text);
      else toast(data.text);
    }
  } else if (event.kind === "chat_action") {
    $("typing").textContent = (state.bot ? state.bot.first_name : "bot") + " is " +
      data.action.replace(/_/g, " ") + "…";
    clearTimeout(handleEvent.typingTimer);
    handleEvent.typingTimer = setTimeout(() => { $("typing").textContent = ""; }, 5000);
  }
}

async function poll() {
  for (;;) {
    try {
      const data = await api(`/chat/api/events?after=${state.lastSeq}&timeout=25`);
      $("connection").textContent = "connected";
      if (data.last_seq < state.lastSeq) state.lastSeq = 0;
      for (const event of data.events) {
        state.lastSeq = event.seq;
        handleEvent(event);
      }
    } catch (_) {
      $("connection").textContent = "reconnecting…";
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

// --- forms -----------------------------------------------------------------------------------

function wireForms() {
  $("new-resident").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    try {
      const user = await postJSON("/chat/api/users", {
        first_name: form.first_name.value,
        language_code: form.language_code.value,
      });
      form.reset();
      await refreshState();
      await openChat({ key: user.chat_key, kind: "private", userId: user.id });
    } catch (error) {
      fail(error);
    }
  });
  $("new-group").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const members = [...form.querySelectorAll("input[name=member]:checked")].map((i) => Number(i.value));
    try {
      const group = await postJSON("/chat/api/groups", {
        title: form.title.value,
        member_ids: members,
        add_bot: form.add_bot.checked,
        kind: form.supergroup.checked ? "supergroup" : "group",
      });
      form.reset();
      await refreshState();
      await openChat({ key: group.chat_key, kind: "group", groupId: group.id });
    } catch (error) {
      fail(error);
    }
  });
  $("composer").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $("text");
    const text = input.value;
    input.value = "";
    await sendText(text);
  });
  $("commands-button").addEventListener("click", () => {
    $("commands").hidden = !$("commands").hidden;
  });
  $("file-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    data.set("user_id", String(actingUserId()));
    try {
      await api(chatPath("/messages"), { method: "POST", body: data });
      form.reset();
    } catch (error) {
      fail(error);
    }
  });
  $("location-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    try {
      await sendLocation(form.latitude.value, form.longitude.value);
    } catch (error) {
      fail(error);
    }
  });
  $("sender").addEventListener("change", () => chatTools());
  $("alert-ok").addEventListener("click", () => $("alert").close());
}

document.addEventListener("DOMContentLoaded", () => {
  wireForms();
  refreshState().then(poll).catch(fail);
});
