// morph updates a live element to match new HTML in place, so that a view
// redrawn every second changes only the text and attributes that changed:
// no flicker, scroll and hover kept. Children with a data-key attribute are
// matched by key (and moved if needed); others by position. An element
// marked data-keep keeps its children (a chart that draws itself).

export function morph(live, html) {
  const tpl = document.createElement('template');
  tpl.innerHTML = html;
  morphChildren(live, tpl.content);
}

const keyOf = (n) => (n.nodeType === 1 ? n.getAttribute('data-key') : null);

function morphChildren(a, b) {
  const next = Array.from(b.childNodes);
  const keyed = new Map();
  for (const c of a.childNodes) {
    const k = keyOf(c);
    if (k) keyed.set(k, c);
  }
  let cur = a.firstChild;
  for (const y of next) {
    const k = keyOf(y);
    let x = cur;
    if (k) {
      const m = keyed.get(k);
      keyed.delete(k);
      if (!m || m.nodeName !== y.nodeName) {
        a.insertBefore(y, cur);
        continue;
      }
      if (m !== cur) a.insertBefore(m, cur);
      x = m;
    } else if (!x || keyOf(x) || x.nodeType !== y.nodeType || x.nodeName !== y.nodeName) {
      a.insertBefore(y, cur);
      continue;
    }
    cur = x.nextSibling;
    update(x, y);
  }
  while (cur) {
    const n = cur.nextSibling;
    a.removeChild(cur);
    cur = n;
  }
}

function update(x, y) {
  if (x.nodeType !== 1) {
    if (x.nodeValue !== y.nodeValue) x.nodeValue = y.nodeValue;
    return;
  }
  for (const { name, value } of Array.from(y.attributes)) {
    if (x.getAttribute(name) !== value) x.setAttribute(name, value);
  }
  for (const { name } of Array.from(x.attributes)) {
    if (!y.hasAttribute(name)) x.removeAttribute(name);
  }
  if (x.hasAttribute('data-keep')) return;
  morphChildren(x, y);
}
