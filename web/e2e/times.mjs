// badTimes lists what on the page shows a bad time: "Invalid Date", or NaN
// in a text or a tooltip (an unset time must show a dash). Both browser
// scripts (dashboard.mjs, history.mjs) check every page with it.
export async function badTimes(page) {
  return page.evaluate(() => {
    const out = [];
    const re = /Invalid Date|NaN/;
    if (re.test(document.body.innerText)) {
      for (const el of document.querySelectorAll('#view *, header *')) {
        if (!el.children.length && re.test(el.textContent)) out.push(el.closest('td, dd, div, p, span')?.outerHTML.slice(0, 300) || el.outerHTML.slice(0, 300));
      }
      if (!out.length) out.push('(in the page text)');
    }
    for (const el of document.querySelectorAll('[title]')) if (re.test(el.title)) out.push(`title: ${el.outerHTML.slice(0, 300)}`);
    return out;
  });
}
