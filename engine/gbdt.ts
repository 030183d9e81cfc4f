/**
 * Histogram gradient-boosted regression trees, in plain TypeScript (no dependencies, no Node APIs), so that a
 * learned family can model interactions across a store's items (issue 19). Not yet a family: nothing in
 * training calls it.
 *
 * The method is LightGBM's: each feature is cut once into ≤ 255 quantile bins (a Uint8Array of bin indices),
 * a tree is grown best-leaf-first from gradient/hessian histograms, the larger child's histogram is the
 * parent's minus the smaller child's, and rows with a missing value (NaN) go to the side each split learned
 * for them. Leaves are Newton steps −G/(H+λ), so squared error and Poisson (log link) share one grower.
 *
 * The model is a plain JSON-able object so that it can be stored in a versioned artifact; `parseGbdtModel`
 * checks one read back from storage before `predict` trusts its indices.
 */
import { seededRandom } from './random.js';

/** Column-major features: feature `f` of row `r` is `values[f * rows + r]`; NaN = missing. */
export interface GbdtMatrix {
  rows: number;
  cols: number;
  values: Float32Array;
}

export type GbdtObjective = 'squared_error' | 'poisson';

export interface GbdtOptions {
  /** `poisson` fits log(mean) and predicts exp(raw): non-negative, for counts with many zeros. */
  objective?: GbdtObjective;
  /** Boosting rounds (trees), before early stopping. Default 100. */
  rounds?: number;
  /** Shrinkage applied to every leaf. Default 0.1. */
  learningRate?: number;
  /** Depth limit; the root is depth 0, so maxDepth 1 is a stump. Default 6. */
  maxDepth?: number;
  /** Leaf limit; leaves are split best gain first. Default 31. */
  maxLeaves?: number;
  /** Fewest training rows in a leaf. Default 20. */
  minSamplesLeaf?: number;
  /** Least hessian sum (weight, for squared error) in a leaf. Default 1e-3. */
  minHessianLeaf?: number;
  /** L2 penalty on leaf values. Default 1. */
  lambda?: number;
  /** Least gain (reduction of the regularised loss) for a split to be made. Default 0. */
  minGain?: number;
  /** Value bins per feature, 2–255 (one more is kept for missing values). Default 255. */
  maxBins?: number;
  /** Fraction of rows drawn for each tree. Default 1 (all). */
  rowSubsample?: number;
  /** Fraction of features drawn for each tree. Default 1 (all). */
  featureSubsample?: number;
  /** Seed of the row/feature draws; the same seed and data give the same model. Default 1. */
  seed?: number;
  /** Non-negative row weights. */
  weights?: ArrayLike<number>;
  /**
   * Newton steps are clipped to ±maxDeltaStep before shrinkage (0 = no clip). Default 0.7 for Poisson (as
   * XGBoost), where an all-zero leaf would otherwise step toward −∞; 0 for squared error.
   */
  maxDeltaStep?: number;
  /** Rounds are stopped when the loss on this set has not improved for `earlyStoppingRounds`; the best are kept. */
  validation?: { data: GbdtMatrix; target: ArrayLike<number>; weights?: ArrayLike<number> };
  /** Default 20. */
  earlyStoppingRounds?: number;
  /** Rows sampled to find each feature's quantile cuts. Default 200 000. */
  binSampleRows?: number;
}

/**
 * One tree as parallel arrays indexed by node (root = 0, children after their parent). At an internal node a
 * row goes left when `x <= threshold`, and when x is missing when `defaultLeft` is 1. At a leaf `feature` is
 * −1, `left`/`right` are −1 and `value` is its output, shrinkage included.
 */
export interface GbdtTree {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
  defaultLeft: number[];
}

export interface GbdtModel {
  schema: 'foreact.gbdt/v1';
  objective: GbdtObjective;
  featureCount: number;
  /** Raw score before the trees: the weighted mean of the target (its log, for Poisson). */
  baseScore: number;
  trees: GbdtTree[];
}

const MISSING = 255;
// Gradient and hessian sums per bin. Row counts are not accumulated (a third of the histogram work): as in
// LightGBM, a side's count is its hessian × the node's rows per hessian, exact for unweighted squared error
// (hessian 1 a row) and an estimate under weights or Poisson.
const STRIDE = 2;
const HIST_FEATURE = 256 * STRIDE;

interface Resolved {
  objective: GbdtObjective;
  rounds: number;
  learningRate: number;
  maxDepth: number;
  maxLeaves: number;
  minSamplesLeaf: number;
  minHessianLeaf: number;
  lambda: number;
  minGain: number;
  maxBins: number;
  rowSubsample: number;
  featureSubsample: number;
  seed: number;
  maxDeltaStep: number;
  earlyStoppingRounds: number;
  binSampleRows: number;
}

function resolveOptions(o: GbdtOptions): Resolved {
  const objective = o.objective ?? 'squared_error';
  if (objective !== 'squared_error' && objective !== 'poisson') {
    throw new Error(`gbdt: objective must be 'squared_error' or 'poisson', got ${String(objective)}`);
  }
  const int = (name: string, v: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    if (!Number.isInteger(v) || v < min || v > max) throw new Error(`gbdt: ${name} must be an integer in ${min}..${max}, got ${v}`);
    return v;
  };
  const num = (name: string, v: number, min: number, max: number, openMin = false): number => {
    if (!Number.isFinite(v) || v < min || (openMin && v === min) || v > max) {
      throw new Error(`gbdt: ${name} must be in ${openMin ? '(' : '['}${min}, ${max}], got ${v}`);
    }
    return v;
  };
  return {
    objective,
    rounds: int('rounds', o.rounds ?? 100, 0),
    learningRate: num('learningRate', o.learningRate ?? 0.1, 0, 1e6, true),
    maxDepth: int('maxDepth', o.maxDepth ?? 6, 1, 64),
    maxLeaves: int('maxLeaves', o.maxLeaves ?? 31, 2, 1 << 20),
    minSamplesLeaf: int('minSamplesLeaf', o.minSamplesLeaf ?? 20, 1),
    minHessianLeaf: num('minHessianLeaf', o.minHessianLeaf ?? 1e-3, 0, Number.MAX_VALUE),
    lambda: num('lambda', o.lambda ?? 1, 0, Number.MAX_VALUE),
    minGain: num('minGain', o.minGain ?? 0, 0, Number.MAX_VALUE),
    maxBins: int('maxBins', o.maxBins ?? 255, 2, 255),
    rowSubsample: num('rowSubsample', o.rowSubsample ?? 1, 0, 1, true),
    featureSubsample: num('featureSubsample', o.featureSubsample ?? 1, 0, 1, true),
    seed: int('seed', o.seed ?? 1, 0, 0xffffffff),
    maxDeltaStep: num('maxDeltaStep', o.maxDeltaStep ?? (objective === 'poisson' ? 0.7 : 0), 0, Number.MAX_VALUE),
    earlyStoppingRounds: int('earlyStoppingRounds', o.earlyStoppingRounds ?? 20, 1),
    binSampleRows: int('binSampleRows', o.binSampleRows ?? 200_000, 1),
  };
}

/** Packs one Float32Array per feature into the column-major matrix `fit` and `predict` take. */
export function matrixFromColumns(columns: readonly Float32Array[]): GbdtMatrix {
  const cols = columns.length;
  const rows = cols > 0 ? columns[0]!.length : 0;
  const values = new Float32Array(rows * cols);
  columns.forEach((c, f) => {
    if (c.length !== rows) throw new Error(`gbdt: feature ${f} has ${c.length} rows, feature 0 has ${rows}`);
    values.set(c, f * rows);
  });
  return { rows, cols, values };
}

function checkMatrix(name: string, m: GbdtMatrix): void {
  if (!Number.isInteger(m.rows) || m.rows < 0 || !Number.isInteger(m.cols) || m.cols < 0) {
    throw new Error(`gbdt: ${name} rows and cols must be non-negative integers`);
  }
  if (m.values.length !== m.rows * m.cols) {
    throw new Error(`gbdt: ${name} has ${m.values.length} values, expected rows × cols = ${m.rows * m.cols}`);
  }
}

function checkTarget(name: string, target: ArrayLike<number>, rows: number, objective: GbdtObjective): void {
  if (target.length !== rows) throw new Error(`gbdt: ${name} has ${target.length} values for ${rows} rows`);
  for (let i = 0; i < rows; i++) {
    const y = target[i]!;
    if (!Number.isFinite(y)) throw new Error(`gbdt: ${name}[${i}] is ${y}; drop rows without a target`);
    if (objective === 'poisson' && y < 0) throw new Error(`gbdt: ${name}[${i}] is ${y}; the Poisson objective needs targets ≥ 0`);
  }
}

function checkWeights(name: string, w: ArrayLike<number> | undefined, rows: number): void {
  if (w === undefined) return;
  if (w.length !== rows) throw new Error(`gbdt: ${name} has ${w.length} values for ${rows} rows`);
  for (let i = 0; i < rows; i++) {
    const v = w[i]!;
    if (!(v >= 0) || !Number.isFinite(v)) throw new Error(`gbdt: ${name}[${i}] is ${v}; weights must be finite and ≥ 0`);
  }
}


/**
 * Upper edges of a feature's bins: a value goes to the first bin whose edge is ≥ it. Edges lie halfway
 * between neighbouring distinct values, so a split threshold never sits on a value seen in training; the
 * last edge is +∞. With more distinct values than bins, the cuts are quantiles of a strided sample.
 */
function binEdges(values: Float32Array, offset: number, rows: number, maxBins: number, sampleRows: number): Float64Array {
  const step = Math.max(1, Math.floor(rows / sampleRows));
  const sample: number[] = [];
  for (let r = 0; r < rows; r += step) {
    const v = values[offset + r]!;
    if (v === v) sample.push(v);
  }
  if (sample.length === 0) return Float64Array.of(Infinity);
  const sorted = Float64Array.from(sample).sort();
  const n = sorted.length;
  const distinct: number[] = [sorted[0]!];
  for (let i = 1; i < n; i++) if (sorted[i]! !== sorted[i - 1]!) distinct.push(sorted[i]!);
  const edges: number[] = [];
  if (distinct.length <= maxBins) {
    for (let i = 0; i + 1 < distinct.length; i++) edges.push((distinct[i]! + distinct[i + 1]!) / 2);
  } else {
    let i = 0; // index into sorted, moving forward only
    for (let k = 1; k < maxBins; k++) {
      const v = sorted[Math.min(n - 1, Math.floor((k * n) / maxBins))]!;
      while (i < n && sorted[i]! <= v) i++;
      if (i >= n) break;
      const edge = (v + sorted[i]!) / 2;
      if (edges.length === 0 || edge > edges[edges.length - 1]!) edges.push(edge);
    }
  }
  edges.push(Infinity);
  return Float64Array.from(edges);
}

function binOf(edges: Float64Array, v: number): number {
  let lo = 0;
  let hi = edges.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (v <= edges[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

interface Split {
  gain: number;
  feature: number;
  bin: number;
  defaultLeft: boolean;
  gl: number;
  hl: number;
}

interface Leaf {
  node: number;
  start: number;
  end: number;
  depth: number;
  g: number;
  h: number;
  c: number;
  hist: Float64Array | undefined;
  split: Split | undefined;
}

/**
 * Fits boosted trees to `target` from `data`. Deterministic: the same data, options and seed give the same
 * model, byte for byte once serialised.
 */
export function fit(data: GbdtMatrix, target: ArrayLike<number>, options: GbdtOptions = {}): GbdtModel {
  const o = resolveOptions(options);
  checkMatrix('features', data);
  const { rows, cols, values } = data;
  if (rows === 0) throw new Error('gbdt: no rows to fit');
  checkTarget('target', target, rows, o.objective);
  checkWeights('weights', options.weights, rows);
  const weights = options.weights;
  const val = options.validation;
  if (val !== undefined) {
    checkMatrix('validation features', val.data);
    if (val.data.cols !== cols) throw new Error(`gbdt: validation has ${val.data.cols} features, training has ${cols}`);
    checkTarget('validation target', val.target, val.data.rows, o.objective);
    checkWeights('validation weights', val.weights, val.data.rows);
  }

  // Bins, once, row-major: a histogram pass over a node's rows reads each row's bins from one cache line.
  const bins = new Uint8Array(rows * cols);
  // And column-major: partitioning a node reads one feature of ascending rows, nearly sequentially.
  const binsByFeature = new Uint8Array(rows * cols);
  const edges: Float64Array[] = [];
  for (let f = 0; f < cols; f++) {
    const off = f * rows;
    for (let r = 0; r < rows; r++) {
      const v = values[off + r]!;
      if (v === Infinity || v === -Infinity) throw new Error(`gbdt: feature ${f} of row ${r} is ${v}; use NaN for missing`);
    }
    const e = binEdges(values, off, rows, o.maxBins, o.binSampleRows);
    edges.push(e);
    for (let r = 0; r < rows; r++) {
      const v = values[off + r]!;
      const b = v === v ? binOf(e, v) : MISSING;
      bins[r * cols + f] = b;
      binsByFeature[off + r] = b;
    }
  }

  let sumW = 0;
  let sumWY = 0;
  for (let r = 0; r < rows; r++) {
    const w = weights === undefined ? 1 : weights[r]!;
    sumW += w;
    sumWY += w * target[r]!;
  }
  if (!(sumW > 0)) throw new Error('gbdt: the weights sum to 0');
  const mean = sumWY / sumW;
  // An all-zero target under Poisson gets a tiny rate rather than log(0) = −∞.
  const baseScore = o.objective === 'poisson' ? Math.log(Math.max(mean, 1e-9)) : mean;

  const raw = new Float64Array(rows).fill(baseScore);
  const grad = new Float64Array(rows);
  const hess = new Float64Array(rows);
  const idx = new Uint32Array(rows);
  const scratch = new Uint32Array(rows);
  const random = seededRandom(o.seed);
  const allFeatures = Array.from({ length: cols }, (_, f) => f);
  const featureCount = Math.max(1, Math.round(o.featureSubsample * cols));
  const histPool: Float64Array[] = [];
  const takeHist = (): Float64Array => histPool.pop()?.fill(0) ?? new Float64Array(cols * HIST_FEATURE);

  const valRaw = val === undefined ? undefined : new Float64Array(val.data.rows).fill(baseScore);
  let bestLoss = Infinity;
  let bestRounds = 0;

  const trees: GbdtTree[] = [];
  for (let round = 0; round < o.rounds; round++) {
    // Gradients of the loss at the current raw scores.
    for (let r = 0; r < rows; r++) {
      const w = weights === undefined ? 1 : weights[r]!;
      if (o.objective === 'poisson') {
        const mu = Math.exp(raw[r]!);
        grad[r] = w * (mu - target[r]!);
        hess[r] = w * mu;
      } else {
        grad[r] = w * (raw[r]! - target[r]!);
        hess[r] = w;
      }
    }
    let n = rows;
    if (o.rowSubsample < 1) {
      n = 0;
      for (let r = 0; r < rows; r++) if (random() < o.rowSubsample) idx[n++] = r;
      if (n === 0) idx[n++] = Math.floor(random() * rows);
    } else {
      for (let r = 0; r < rows; r++) idx[r] = r;
    }
    let features = allFeatures;
    if (featureCount < cols) {
      const pick = allFeatures.slice();
      for (let i = 0; i < featureCount; i++) {
        const j = i + Math.floor(random() * (cols - i));
        const t = pick[i]!;
        pick[i] = pick[j]!;
        pick[j] = t;
      }
      features = pick.slice(0, featureCount).sort((a, b) => a - b);
    }

    const tree: GbdtTree = { feature: [-1], threshold: [0], left: [-1], right: [-1], value: [0], defaultLeft: [0] };
    const splitBin: number[] = [-1];

    const buildHist = (start: number, end: number): Float64Array => {
      const hist = takeHist();
      const nf = features.length;
      for (let i = start; i < end; i++) {
        const r = idx[i]!;
        const g = grad[r]!;
        const h = hess[r]!;
        const rowOff = r * cols;
        if (nf === cols) {
          // Every feature: the bins of a row are contiguous, and so are the features' histograms.
          for (let f = 0, base = 0; f < cols; f++, base += HIST_FEATURE) {
            const j = base + bins[rowOff + f]! * STRIDE;
            hist[j]! += g;
            hist[j + 1]! += h;
          }
        } else {
          for (let k = 0; k < nf; k++) {
            const f = features[k]!;
            const j = f * HIST_FEATURE + bins[rowOff + f]! * STRIDE;
            hist[j]! += g;
            hist[j + 1]! += h;
          }
        }
      }
      return hist;
    };

    const score = (g: number, h: number): number => (g * g) / (h + o.lambda);

    const findSplit = (leaf: Leaf): Split | undefined => {
      const hist = leaf.hist!;
      const parent = score(leaf.g, leaf.h);
      if (!(leaf.h > 0)) return undefined;
      const perHessian = leaf.c / leaf.h;
      let best: Split | undefined;
      for (const f of features) {
        const base = f * HIST_FEATURE;
        const nb = edges[f]!.length;
        const mj = base + MISSING * STRIDE;
        const gm = hist[mj]!;
        const hm = hist[mj + 1]!;
        const cm = hm * perHessian;
        let gl = 0;
        let hl = 0;
        for (let b = 0; b < nb; b++) {
          const j = base + b * STRIDE;
          gl += hist[j]!;
          hl += hist[j + 1]!;
          const cl = hl * perHessian;
          // Counts only grow to the left as b rises: skip cuts with too few rows left, stop at too few right.
          if (cl + cm < o.minSamplesLeaf) continue;
          if (leaf.c - cl < o.minSamplesLeaf) break;
          // Missing rows to the right (also the "missing versus the rest" split, at the last bin).
          if (b < nb - 1 || hm > 0) {
            const gr = leaf.g - gl;
            const hr = leaf.h - hl;
            const cr = leaf.c - cl;
            if (cl >= o.minSamplesLeaf && cr >= o.minSamplesLeaf && hl >= o.minHessianLeaf && hr >= o.minHessianLeaf) {
              const gain = score(gl, hl) + score(gr, hr) - parent;
              if (gain > o.minGain && (best === undefined || gain > best.gain)) {
                // A node that saw no missing rows sends them where most rows went.
                const defaultLeft = hm === 0 && cl >= cr;
                best = { gain, feature: f, bin: b, defaultLeft, gl, hl };
              }
            }
          }
          // Missing rows to the left.
          if (hm > 0 && b < nb - 1) {
            const gL = gl + gm;
            const hL = hl + hm;
            const cL = cl + cm;
            const gr = leaf.g - gL;
            const hr = leaf.h - hL;
            const cr = leaf.c - cL;
            if (cL >= o.minSamplesLeaf && cr >= o.minSamplesLeaf && hL >= o.minHessianLeaf && hr >= o.minHessianLeaf) {
              const gain = score(gL, hL) + score(gr, hr) - parent;
              if (gain > o.minGain && (best === undefined || gain > best.gain)) {
                best = { gain, feature: f, bin: b, defaultLeft: true, gl: gL, hl: hL };
              }
            }
          }
        }
      }
      return best;
    };

    const canSplit = (leaf: Leaf): boolean => leaf.depth < o.maxDepth && leaf.c >= 2 * o.minSamplesLeaf;

    const root: Leaf = { node: 0, start: 0, end: n, depth: 0, g: 0, h: 0, c: n, hist: undefined, split: undefined };
    for (let i = 0; i < n; i++) {
      root.g += grad[idx[i]!]!;
      root.h += hess[idx[i]!]!;
    }
    if (canSplit(root)) {
      root.hist = buildHist(0, n);
      root.split = findSplit(root);
    }
    const leaves: Leaf[] = [root];

    while (leaves.length < o.maxLeaves) {
      let pick = -1;
      for (let i = 0; i < leaves.length; i++) {
        const s = leaves[i]!.split;
        if (s !== undefined && (pick < 0 || s.gain > leaves[pick]!.split!.gain)) pick = i;
      }
      if (pick < 0) break;
      const leaf = leaves[pick]!;
      const s = leaf.split!;

      // Stable partition of the leaf's rows: left rows first, in their original order.
      const off = s.feature * rows;
      let l = leaf.start;
      let rcount = 0;
      for (let i = leaf.start; i < leaf.end; i++) {
        const r = idx[i]!;
        const b = binsByFeature[off + r]!;
        if (b === MISSING ? s.defaultLeft : b <= s.bin) idx[l++] = r;
        else scratch[rcount++] = r;
      }
      idx.set(scratch.subarray(0, rcount), l);

      const leftNode = tree.feature.length;
      const rightNode = leftNode + 1;
      for (let k = 0; k < 2; k++) {
        tree.feature.push(-1);
        tree.threshold.push(0);
        tree.left.push(-1);
        tree.right.push(-1);
        tree.value.push(0);
        tree.defaultLeft.push(0);
        splitBin.push(-1);
      }
      const e = edges[s.feature]![s.bin]!;
      tree.feature[leaf.node] = s.feature;
      // The last bin's edge is +∞ ("missing versus the rest"); JSON cannot hold ∞, and fit refuses infinite features.
      tree.threshold[leaf.node] = e === Infinity ? Number.MAX_VALUE : e;
      tree.left[leaf.node] = leftNode;
      tree.right[leaf.node] = rightNode;
      tree.defaultLeft[leaf.node] = s.defaultLeft ? 1 : 0;
      splitBin[leaf.node] = s.bin;

      const depth = leaf.depth + 1;
      const left: Leaf = { node: leftNode, start: leaf.start, end: l, depth, g: s.gl, h: s.hl, c: l - leaf.start, hist: undefined, split: undefined };
      const right: Leaf = {
        node: rightNode, start: l, end: leaf.end, depth,
        g: leaf.g - s.gl, h: leaf.h - s.hl, c: leaf.end - l, hist: undefined, split: undefined,
      };
      const parentHist = leaf.hist!;
      if (canSplit(left) || canSplit(right)) {
        // Histogram subtraction: build the smaller child's, the larger is the parent's minus it (in place).
        const [small, large] = left.c <= right.c ? [left, right] : [right, left];
        small.hist = buildHist(small.start, small.end);
        const sh = small.hist;
        for (const f of features) {
          // Only the feature's used bins and the missing bin: a weekday has 7 of 255.
          const base = f * HIST_FEATURE;
          const used = base + edges[f]!.length * STRIDE;
          for (let j = base; j < used; j++) parentHist[j]! -= sh[j]!;
          const m = base + MISSING * STRIDE;
          parentHist[m]! -= sh[m]!;
          parentHist[m + 1]! -= sh[m + 1]!;
        }
        large.hist = parentHist;
        for (const child of [left, right]) {
          if (canSplit(child)) child.split = findSplit(child);
          if (child.split === undefined) {
            histPool.push(child.hist!);
            child.hist = undefined;
          }
        }
      } else {
        histPool.push(parentHist);
      }
      leaf.hist = undefined;
      leaves.splice(pick, 1, left, right);
    }

    // Leaf values: clipped Newton steps, shrunk; the training scores move with them.
    for (const leaf of leaves) {
      if (leaf.hist !== undefined) histPool.push(leaf.hist);
      let step = -leaf.g / (leaf.h + o.lambda);
      if (o.maxDeltaStep > 0) step = Math.max(-o.maxDeltaStep, Math.min(o.maxDeltaStep, step));
      const v = o.learningRate * step;
      tree.value[leaf.node] = v;
      for (let i = leaf.start; i < leaf.end; i++) raw[idx[i]!]! += v;
    }
    if (n < rows) {
      // Rows left out of this tree's draw: walk the tree on their bins.
      const inBag = new Uint8Array(rows);
      for (let i = 0; i < n; i++) inBag[idx[i]!] = 1;
      for (let r = 0; r < rows; r++) {
        if (inBag[r] === 1) continue;
        let node = 0;
        while (tree.feature[node]! >= 0) {
          const b = binsByFeature[tree.feature[node]! * rows + r]!;
          const goLeft = b === MISSING ? tree.defaultLeft[node] === 1 : b <= splitBin[node]!;
          node = goLeft ? tree.left[node]! : tree.right[node]!;
        }
        raw[r]! += tree.value[node]!;
      }
    }
    trees.push(tree);

    if (val !== undefined && valRaw !== undefined) {
      addTree(compileTree(tree), val.data, valRaw);
      const loss = lossOf(o.objective, valRaw, val.target, val.weights);
      if (loss < bestLoss) {
        bestLoss = loss;
        bestRounds = trees.length;
      } else if (trees.length - bestRounds >= o.earlyStoppingRounds) break;
    }
  }
  if (val !== undefined) trees.length = bestRounds;
  return { schema: 'foreact.gbdt/v1', objective: o.objective, featureCount: cols, baseScore, trees };
}

interface CompiledTree {
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  value: Float64Array;
  defaultLeft: Uint8Array;
}

/** Compiled once per tree: a pooled model predicts for every store of a chain, a few rows each time. */
const compiled = new WeakMap<GbdtTree, CompiledTree>();

function compileTree(t: GbdtTree): CompiledTree {
  let tree = compiled.get(t);
  if (tree === undefined) compiled.set(t, (tree = compileTreeNow(t)));
  return tree;
}

function compileTreeNow(t: GbdtTree): CompiledTree {
  return {
    feature: Int32Array.from(t.feature),
    threshold: Float64Array.from(t.threshold),
    left: Int32Array.from(t.left),
    right: Int32Array.from(t.right),
    value: Float64Array.from(t.value),
    defaultLeft: Uint8Array.from(t.defaultLeft),
  };
}

function addTree(t: CompiledTree, data: GbdtMatrix, raw: Float64Array): void {
  const { rows, values } = data;
  for (let r = 0; r < rows; r++) {
    let node = 0;
    let f = t.feature[0]!;
    while (f >= 0) {
      const x = values[f * rows + r]!;
      const goLeft = x === x ? x <= t.threshold[node]! : t.defaultLeft[node] === 1;
      node = goLeft ? t.left[node]! : t.right[node]!;
      f = t.feature[node]!;
    }
    raw[r]! += t.value[node]!;
  }
}

/** Weighted mean loss: squared error, or Poisson deviance. */
function lossOf(objective: GbdtObjective, raw: Float64Array, target: ArrayLike<number>, weights?: ArrayLike<number>): number {
  let sum = 0;
  let sumW = 0;
  for (let r = 0; r < raw.length; r++) {
    const w = weights === undefined ? 1 : weights[r]!;
    const y = target[r]!;
    if (objective === 'poisson') {
      const mu = Math.exp(raw[r]!);
      sum += w * 2 * ((y > 0 ? y * Math.log(y / mu) : 0) - (y - mu));
    } else {
      const d = y - raw[r]!;
      sum += w * d * d;
    }
    sumW += w;
  }
  return sumW > 0 ? sum / sumW : 0;
}

/** Predictions for every row of `data`: the mean for squared error, the rate exp(raw) for Poisson. */
export function predict(model: GbdtModel, data: GbdtMatrix): Float64Array {
  checkMatrix('features', data);
  if (data.cols !== model.featureCount) {
    throw new Error(`gbdt: the model was fitted on ${model.featureCount} features, got ${data.cols}`);
  }
  const raw = new Float64Array(data.rows).fill(model.baseScore);
  for (const t of model.trees) addTree(compileTree(t), data, raw);
  if (model.objective === 'poisson') for (let r = 0; r < raw.length; r++) raw[r] = Math.exp(raw[r]!);
  return raw;
}

/** Mean loss of `model` on a data set (squared error, or Poisson deviance), for reports and early stopping. */
export function loss(model: GbdtModel, data: GbdtMatrix, target: ArrayLike<number>, weights?: ArrayLike<number>): number {
  checkTarget('target', target, data.rows, model.objective);
  checkWeights('weights', weights, data.rows);
  const p = predict(model, data);
  if (model.objective === 'poisson') for (let r = 0; r < p.length; r++) p[r] = Math.log(p[r]!);
  return lossOf(model.objective, p, target, weights);
}

/**
 * Checks a model read back from storage: every array the same length, children after their parent (so a
 * walk always ends), features in range, finite numbers. Returns it typed, or throws naming what is wrong.
 */
export function parseGbdtModel(value: unknown): GbdtModel {
  const fail = (what: string): never => {
    throw new Error(`gbdt model: ${what}`);
  };
  if (typeof value !== 'object' || value === null) return fail('not an object');
  const m = value as Record<string, unknown>;
  if (m.schema !== 'foreact.gbdt/v1') fail(`schema must be foreact.gbdt/v1, got ${String(m.schema)}`);
  if (m.objective !== 'squared_error' && m.objective !== 'poisson') fail(`unknown objective ${String(m.objective)}`);
  const featureCount = m.featureCount;
  if (typeof featureCount !== 'number' || !Number.isInteger(featureCount) || featureCount < 0) fail('featureCount must be a non-negative integer');
  if (typeof m.baseScore !== 'number' || !Number.isFinite(m.baseScore)) fail('baseScore must be a finite number');
  if (!Array.isArray(m.trees)) return fail('trees must be an array');
  const fc = featureCount as number;
  (m.trees as unknown[]).forEach((tv, ti) => {
    if (typeof tv !== 'object' || tv === null) fail(`tree ${ti} is not an object`);
    const t = tv as Record<string, unknown>;
    const keys = ['feature', 'threshold', 'left', 'right', 'value', 'defaultLeft'] as const;
    const arrays = keys.map((k) => {
      const a = t[k];
      if (!Array.isArray(a) || !a.every((x) => typeof x === 'number' && Number.isFinite(x))) fail(`tree ${ti}: ${k} must be an array of finite numbers`);
      return a as number[];
    });
    const [feature, , left, right, , defaultLeft] = arrays as [number[], number[], number[], number[], number[], number[]];
    const size = feature.length;
    if (size === 0) fail(`tree ${ti} has no nodes`);
    if (arrays.some((a) => a.length !== size)) fail(`tree ${ti}: its arrays differ in length`);
    for (let i = 0; i < size; i++) {
      const f = feature[i]!;
      if (f === -1) {
        if (left[i] !== -1 || right[i] !== -1) fail(`tree ${ti} node ${i}: a leaf has children`);
        continue;
      }
      if (!Number.isInteger(f) || f < 0 || f >= fc) fail(`tree ${ti} node ${i}: feature ${f} out of range`);
      for (const c of [left[i]!, right[i]!]) {
        if (!Number.isInteger(c) || c <= i || c >= size) fail(`tree ${ti} node ${i}: child ${c} must come after it, within the tree`);
      }
      if (defaultLeft[i] !== 0 && defaultLeft[i] !== 1) fail(`tree ${ti} node ${i}: defaultLeft must be 0 or 1`);
    }
  });
  return value as GbdtModel;
}
