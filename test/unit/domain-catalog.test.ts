import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asicCatalog, gpuCatalog, parseAsicCatalog, parseGpuCatalog, CatalogError } from '../../services/domain/catalog.ts';

const REQUIRED_ASICS = ['S19j-Pro', 'S19-XP', 'S21', 'S21-Pro', 'S21-XP', 'S21-XP-Hydro', 'M60S', 'M66S'];

test('ASIC catalog holds the required models with spec-sheet figures', () => {
  const c = asicCatalog();
  for (const id of REQUIRED_ASICS) assert.ok(c.has(id), `missing ${id}`);
  const spec: Record<string, [number, number]> = {
    'S21-XP': [270, 3645],
    S21: [200, 3500],
    'S19j-Pro': [104, 3068],
    'S19-XP': [140, 3010],
    'S21-Pro': [234, 3510],
    'S21-XP-Hydro': [473, 5676],
    M60S: [186, 3441],
    M66S: [298, 5513],
  };
  for (const [id, [ths, w]] of Object.entries(spec)) {
    const m = c.get(id)!;
    assert.equal(m.id, id);
    assert.equal(m.hashrateThs, ths, id);
    assert.equal(m.powerW, w, id);
  }
});

test('ASIC efficiency is derived as J/TH', () => {
  const c = asicCatalog();
  assert.equal(c.get('S21-XP')!.efficiencyJPerTh, 13.5);
  assert.equal(c.get('S21')!.efficiencyJPerTh, 17.5);
  assert.equal(c.get('S19j-Pro')!.efficiencyJPerTh, 29.5);
  assert.equal(c.get('S21-XP-Hydro')!.efficiencyJPerTh, 12);
  assert.equal(c.get('S21-Pro')!.efficiencyJPerTh, 15);
});

test('every ASIC has a sane power range and a control-board-only sleep draw', () => {
  for (const m of asicCatalog().values()) {
    assert.ok(m.minPowerW < m.powerW && m.powerW < m.maxPowerW, m.id);
    assert.ok(m.sleepPowerW >= 20 && m.sleepPowerW <= 30, m.id);
    assert.ok(['air', 'hydro', 'immersion'].includes(m.cooling), m.id);
  }
  assert.equal(asicCatalog().get('S21-XP-Hydro')!.cooling, 'hydro');
  assert.equal(asicCatalog().get('M66S')!.cooling, 'immersion');
  assert.equal(asicCatalog().get('S21')!.cooling, 'air');
});

test('GPU catalog: H100, H200, B200 and GB200 NVL72 systems', () => {
  const g = gpuCatalog();
  const h100 = g.get('H100-SXM')!;
  assert.deepEqual([h100.tdpW, h100.gpusPerSystem, h100.systemPowerW, h100.memoryGb], [700, 8, 10200, 80]);
  assert.equal(g.get('H200')!.tdpW, 700);
  assert.equal(g.get('H200')!.memoryGb, 141);
  assert.equal(g.get('B200')!.tdpW, 1000);
  assert.equal(g.get('B200')!.systemPowerW, 14300);
  const nvl = g.get('GB200-NVL72')!;
  assert.equal(nvl.gpusPerSystem, 72);
  assert.ok(nvl.systemPowerW >= 120_000 && nvl.systemPowerW <= 132_000);
  for (const m of g.values()) {
    assert.equal(m.vendor, 'NVIDIA');
    assert.ok(m.idlePowerW < m.tdpW, m.id);
    assert.ok(m.systemPowerW >= m.tdpW * m.gpusPerSystem, m.id);
  }
});

test('catalogs are loaded once', () => {
  assert.equal(asicCatalog(), asicCatalog());
  assert.equal(gpuCatalog(), gpuCatalog());
});

const GOOD_ASIC = `
X1:
  make: Bitmain
  name: Test
  hashrateThs: 100
  powerW: 2000
  cooling: air
  minPowerW: 1000
  maxPowerW: 2200
  sleepPowerW: 25
`;

test('ASIC catalog parser: valid text gives a model', () => {
  const m = parseAsicCatalog(GOOD_ASIC, 't.yaml').get('X1')!;
  assert.equal(m.efficiencyJPerTh, 20);
});

test('ASIC catalog parser rejects unknown keys, bad values and an impossible power range', () => {
  assert.throws(() => parseAsicCatalog(GOOD_ASIC.replace('sleepPowerW: 25', 'sleepPowerW: 25\n  colour: red'), 't.yaml'), (e: unknown) => {
    assert.ok(e instanceof CatalogError);
    assert.equal(e.code, 'E_CATALOG');
    assert.match(e.message, /t\.yaml.*\/X1\/colour unknown key "colour"/);
    return true;
  });
  assert.throws(() => parseAsicCatalog(GOOD_ASIC.replace('hashrateThs: 100', 'hashrateThs: -5'), 't.yaml'), /\/X1\/hashrateThs must be > 0/);
  assert.throws(() => parseAsicCatalog(GOOD_ASIC.replace('cooling: air', 'cooling: fans'), 't.yaml'), /\/X1\/cooling/);
  assert.throws(() => parseAsicCatalog(GOOD_ASIC.replace('maxPowerW: 2200', 'maxPowerW: 1900'), 't.yaml'), /X1: need minPowerW ≤ powerW ≤ maxPowerW/);
  assert.throws(() => parseAsicCatalog('X1: [', 't.yaml'), /parsing t\.yaml/);
});

test('GPU catalog parser rejects a system that draws less than its GPUs', () => {
  const text = `
G1:
  vendor: NVIDIA
  name: Test
  tdpW: 700
  idlePowerW: 70
  gpusPerSystem: 8
  systemPowerW: 5000
  memoryGb: 80
`;
  assert.throws(() => parseGpuCatalog(text, 'g.yaml'), /G1: systemPowerW 5000 is below gpusPerSystem × tdpW \(5600\)/);
  assert.equal(parseGpuCatalog(text.replace('5000', '10200'), 'g.yaml').get('G1')!.systemPowerW, 10200);
});
