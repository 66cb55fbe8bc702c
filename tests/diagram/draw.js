// Loads a pipelint diagram in headless Chromium (Debian's package, driven by
// playwright-core) and prints what was drawn as JSON. Used by
// tests/diagram_render.rs; never downloads a browser.
//   node draw.js html PAGE.html          -> {"nodes": N, "drawn": M}
//   node draw.js mermaid FILE.mmd        -> {"nodes": N, "drawn": M}
// "drawn" counts node shapes with a non-empty bounding box.
const path = require('path');
const fs = require('fs');
const modules = process.env.PIPELINT_NODE_MODULES;
const { chromium } = require(path.join(modules, 'playwright-core'));

(async () => {
  const [kind, file] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.PIPELINT_CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run'],
  });
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  let result;
  if (kind === 'html') {
    await page.goto('file://' + path.resolve(file));
    result = await page.evaluate(() => {
      const nodes = Array.from(document.querySelectorAll('g.node'));
      const drawn = nodes.filter((g) => { const b = g.getBBox(); return b.width > 0 && b.height > 0; });
      const q = document.getElementById('q');
      q.value = 'exec_dashboard';
      q.dispatchEvent(new Event('input'));
      return { nodes: nodes.length, drawn: drawn.length, hits: document.querySelectorAll('g.node.hit').length };
    });
  } else {
    const source = fs.readFileSync(file, 'utf8');
    await page.setContent('<!DOCTYPE html><html><body><div id="out"></div></body></html>');
    await page.addScriptTag({ path: path.join(modules, 'mermaid', 'dist', 'mermaid.min.js') });
    result = await page.evaluate(async (text) => {
      mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });
      const { svg } = await mermaid.render('diagram', text);
      document.getElementById('out').innerHTML = svg;
      const nodes = Array.from(document.querySelectorAll('#out g.node'));
      const drawn = nodes.filter((g) => { const b = g.getBBox(); return b.width > 0 && b.height > 0; });
      return { nodes: nodes.length, drawn: drawn.length };
    }, source);
  }
  result.errors = errors;
  if (process.argv[4]) {
    await page.screenshot({ path: process.argv[4], fullPage: false });
  }
  console.log(JSON.stringify(result));
  await browser.close();
})().catch((e) => { console.error(e); process.exit(1); });
