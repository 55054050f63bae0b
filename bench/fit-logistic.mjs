// Logistic models fitted by full-batch gradient descent with L2, for the extraction engine's small
// models (page type, quality score). No dependencies; deterministic (zero start, fixed steps).

/** Multinomial logistic regression: `rows` of features, `labels` class indexes, `classes` count. */
export function fitSoftmax(rows, labels, classes, { steps = 3000, rate = 0.5, l2 = 1e-3 } = {}) {
  const dims = rows[0].length;
  const weights = Array.from({ length: classes }, () => new Float64Array(dims));
  const counts = new Array(classes).fill(0);
  for (const label of labels) counts[label]++;
  // Half-balance the classes (square root of the inverse frequency): small types are not drowned
  // by articles, and articles, the most common pages, are not pushed into the small types.
  const classWeight = counts.map((count) => (count > 0 ? (rows.length / (classes * count)) ** 0.25 : 0));
  for (let step = 0; step < steps; step++) {
    const gradients = Array.from({ length: classes }, () => new Float64Array(dims));
    for (let n = 0; n < rows.length; n++) {
      const x = rows[n];
      const probabilities = softmax(weights.map((w) => dot(w, x)));
      const cw = classWeight[labels[n]];
      for (let k = 0; k < classes; k++) {
        const error = (probabilities[k] - (labels[n] === k ? 1 : 0)) * cw;
        for (let j = 0; j < dims; j++) gradients[k][j] += error * x[j];
      }
    }
    for (let k = 0; k < classes; k++) {
      for (let j = 0; j < dims; j++)
        weights[k][j] -= rate * (gradients[k][j] / rows.length + (j > 0 ? l2 * weights[k][j] : 0));
    }
  }
  return weights.map((w) => [...w]);
}

/** Logistic regression on soft targets in [0, 1] (cross-entropy), e.g. a page's F1. */
export function fitLogistic(rows, targets, { steps = 4000, rate = 0.5, l2 = 1e-3 } = {}) {
  const dims = rows[0].length;
  const w = new Float64Array(dims);
  for (let step = 0; step < steps; step++) {
    const gradient = new Float64Array(dims);
    for (let n = 0; n < rows.length; n++) {
      const error = sigmoid(dot(w, rows[n])) - targets[n];
      for (let j = 0; j < dims; j++) gradient[j] += error * rows[n][j];
    }
    for (let j = 0; j < dims; j++) w[j] -= rate * (gradient[j] / rows.length + (j > 0 ? l2 * w[j] : 0));
  }
  return [...w];
}

export function dot(w, x) {
  let sum = 0;
  for (let j = 0; j < x.length; j++) sum += w[j] * x[j];
  return sum;
}

export function sigmoid(z) {
  return 1 / (1 + Math.exp(-z));
}

export function softmax(scores) {
  const max = Math.max(...scores);
  const exps = scores.map((score) => Math.exp(score - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((value) => value / total);
}

/** A number with `digits` decimals, for weights files that diff well. */
export function round(value, digits = 4) {
  return Math.round(value * 10 ** digits) / 10 ** digits;
}
