// Drives Jupyter Notebook in headless Chromium (playwright-core, Debian's /usr/bin/chromium):
// opens a notebook, runs its code cells up to and including the first live chart cell (a code
// cell tagged `live-chart`) the way a person does (click, Shift+Enter), then watches that cell's
// output <img>: its src must change at least twice while the kernel redraws the chart in place.
// Saves a screenshot, runs the notebook's `%stop all` cell, and prints one JSON line.
//
//   node tests/browser/live_chart.js --url http://127.0.0.1:PORT --token T \
//        --notebook sensors.ipynb --screenshot OUT.png [--timeout 60]
//
// Exit status: 0 when the chart changed at least twice, 1 otherwise (the JSON says why).
'use strict'
const fs = require('fs')
const os = require('os')
const path = require('path')
const { chromium } = require(path.join(__dirname, '..', '..', 'node_modules', 'playwright-core'))

function args () {
  const a = { timeout: 60, chromium: '/usr/bin/chromium' }
  const v = process.argv.slice(2)
  for (let i = 0; i < v.length; i += 2) a[v[i].replace(/^--/, '')] = v[i + 1]
  for (const k of ['url', 'token', 'notebook', 'screenshot']) {
    if (!a[k]) throw new Error('missing --' + k)
  }
  a.timeout = Number(a.timeout)
  return a
}

// Flags for a machine whose network is closed: no background requests Chromium would make
// on its own (they are refused and slow everything down).
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage']

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function main () {
  const a = args()
  const result = { notebook: a.notebook, changes: 0, srcs: [], errors: [], cells_run: [] }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'eddy-chromium-'))
  let context
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: a.chromium,
      headless: true,
      chromiumSandbox: false,
      args: FLAGS,
      viewport: { width: 1280, height: 1100 },
      timeout: 30000
    })
    const page = context.pages()[0] || await context.newPage()
    page.on('pageerror', (e) => result.errors.push('pageerror: ' + e.message))
    const url = a.url + '/notebooks/' + encodeURIComponent(a.notebook) + '?token=' + a.token
    await page.goto(url, { waitUntil: 'load', timeout: 30000 })

    // the notebook is loaded and its kernel (Eddy, from the kernelspec) is connected and idle
    await page.waitForFunction(() => window.Jupyter && Jupyter.notebook &&
      Jupyter.notebook._fully_loaded && Jupyter.notebook.kernel &&
      Jupyter.notebook.kernel.is_connected(), null, { timeout: 30000 })
    await page.waitForSelector('#kernel_indicator_icon.kernel_idle_icon', { timeout: 30000 })
    result.kernel = await page.evaluate(() => Jupyter.notebook.kernel.name)

    const cells = await page.evaluate(() => Jupyter.notebook.get_cells().map((c, i) => ({
      i, type: c.cell_type, tags: (c.metadata.tags || []), source: c.get_text()
    })))
    // the notebook is saved with outputs: clear them, so only pictures drawn now count
    await page.evaluate(() => Jupyter.notebook.clear_all_output())

    const live = cells.find((c) => c.type === 'code' && c.tags.includes('live-chart'))
    if (!live) throw new Error('no code cell tagged live-chart in ' + a.notebook)
    result.live_cell = live.i

    // run each code cell up to the live one by clicking into it and pressing Shift+Enter
    for (const c of cells) {
      if (c.type !== 'code' || c.i > live.i) continue
      const cell = page.locator('#notebook-container .cell').nth(c.i)
      await cell.locator('.input_area').click()
      await page.keyboard.press('Shift+Enter')
      // a cell is done when its prompt shows a number ("In [3]:") and the kernel is idle
      await page.waitForFunction((i) => {
        const cell = Jupyter.notebook.get_cell(i)
        return cell.input_prompt_number !== '*' && cell.input_prompt_number !== undefined &&
          cell.input_prompt_number !== null && !Jupyter.notebook.kernel_busy
      }, c.i, { timeout: 60000 })
      const err = await cell.locator('.output_error, .output_stderr').count()
      if (err) {
        result.errors.push('cell ' + c.i + ': ' + await cell.locator('.output_area').innerText())
      }
      result.cells_run.push(c.i)
    }

    // watch the live cell's chart: its <img> src changes as the kernel redraws in place
    const cell = page.locator('#notebook-container .cell').nth(live.i)
    // at least three changes, and (for the screenshot) some seconds of history
    const deadline = Date.now() + a.timeout * 1000
    let last = null
    let firstAt = null
    while (Date.now() < deadline &&
           (result.changes < 3 || firstAt === null || Date.now() - firstAt < 8000)) {
      const src = await cell.locator('.output_area img').first().getAttribute('src', { timeout: 1000 })
        .catch(() => null)
      if (src && src !== last) {
        if (last !== null) result.changes++
        else firstAt = Date.now()
        result.srcs.push({ at_ms: Date.now(), length: src.length, png: src.startsWith('data:image/png;base64,') })
        last = src
      }
      await sleep(100)
    }
    result.images_in_cell = await cell.locator('.output_area img').count()

    // the live cell at the top of the window, its chart below it
    await cell.evaluate((el) => el.scrollIntoView({ block: 'start' }))
    await sleep(300)
    fs.mkdirSync(path.dirname(a.screenshot), { recursive: true })
    await page.screenshot({ path: a.screenshot })
    result.screenshot = a.screenshot

    // stop the queries with the notebook's own last cell (%stop all)
    const stop = cells.filter((c) => c.type === 'code' && c.source.trim().startsWith('%stop')).pop()
    if (stop) {
      await page.evaluate((i) => Jupyter.notebook.execute_cells([i]), stop.i)
      await page.waitForFunction((i) => {
        const n = Jupyter.notebook.get_cell(i).input_prompt_number
        return n !== '*' && n !== undefined && n !== null && !Jupyter.notebook.kernel_busy
      }, stop.i, { timeout: 30000 })
      result.stopped = true
    }
    // the page must not be left dirty for an autosave into the served copy
    await page.evaluate(() => { Jupyter.notebook.set_dirty(false) })
  } catch (e) {
    result.errors.push(String(e && e.stack ? e.stack : e))
  } finally {
    if (context) await context.close().catch(() => {})
    fs.rmSync(profile, { recursive: true, force: true })
  }
  result.ok = result.changes >= 2 && result.srcs.every((s) => s.png)
  process.stdout.write(JSON.stringify(result) + '\n')
  process.exit(result.ok ? 0 : 1)
}

main().catch((e) => {
  process.stdout.write(JSON.stringify({ ok: false, errors: [String(e)] }) + '\n')
  process.exit(1)
})
