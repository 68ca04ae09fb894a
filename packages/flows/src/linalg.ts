/**
 * Small dense linear algebra in float64 on the host, for what tfjs lacks (QR, LU, determinant,
 * inverse). Matrices are row-major `Float64Array`s of n×n; n is a channel count (≤ a few
 * hundred), so O(n³) on the host costs far less than one training step.
 */

/** A square row-major float64 matrix. */
export interface Matrix {
  readonly n: number;
  readonly data: Float64Array;
}

/** Wraps row-major values (any numeric array) of an n×n matrix as float64. */
export function matrix(n: number, values: ArrayLike<number>): Matrix {
  if (values.length !== n * n)
    throw new Error(`expected ${n * n} values for a ${n}×${n} matrix, got ${values.length}`);
  return { n, data: Float64Array.from(values) };
}

/** The n×n identity. */
export function identity(n: number): Matrix {
  const data = new Float64Array(n * n);
  for (let i = 0; i < n; i++) data[i * n + i] = 1;
  return { n, data };
}

/** a·b. */
export function multiply(a: Matrix, b: Matrix): Matrix {
  const n = a.n;
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a.data[i * n + k];
      if (aik === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j] += aik * b.data[k * n + j];
    }
  }
  return { n, data: out };
}

/**
 * The orthogonal factor Q of A = QR (modified Gram–Schmidt, columns of A in order), with the
 * signs fixed so that R has a positive diagonal. Applied to a Gaussian matrix this draws a
 * uniformly random orthogonal matrix.
 */
export function orthogonalFactor(a: Matrix): Matrix {
  const n = a.n;
  const q = Float64Array.from(a.data);
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += q[i * n + k] * q[i * n + j];
      for (let i = 0; i < n; i++) q[i * n + j] -= dot * q[i * n + k];
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += q[i * n + j] ** 2;
    norm = Math.sqrt(norm);
    if (norm === 0) throw new Error('matrix is singular: cannot orthogonalize it');
    for (let i = 0; i < n; i++) q[i * n + j] /= norm;
  }
  return { n, data: q };
}

/** A = P·L·U with P a permutation, L unit lower triangular, U upper triangular. */
export interface LU {
  /** `perm[i]` is the row of A that row i of L·U equals (P has ones at (perm[i], i)). */
  readonly perm: Int32Array;
  /** L (unit diagonal, stored explicitly) and U, both n×n. */
  readonly lower: Matrix;
  readonly upper: Matrix;
  /** det(P) = ±1. */
  readonly permSign: number;
}

/** LU decomposition with partial pivoting (Doolittle). Throws on an exactly singular matrix. */
export function luDecompose(a: Matrix): LU {
  const n = a.n;
  const m = Float64Array.from(a.data);
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  let permSign = 1;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r * n + col]) > Math.abs(m[pivot * n + col])) pivot = r;
    if (m[pivot * n + col] === 0) throw new Error('matrix is singular: LU has a zero pivot');
    if (pivot !== col) {
      for (let j = 0; j < n; j++) {
        const t = m[col * n + j];
        m[col * n + j] = m[pivot * n + j];
        m[pivot * n + j] = t;
      }
      const t = perm[col];
      perm[col] = perm[pivot];
      perm[pivot] = t;
      permSign = -permSign;
    }
    const diag = m[col * n + col];
    for (let r = col + 1; r < n; r++) {
      const factor = (m[r * n + col] /= diag);
      for (let j = col + 1; j < n; j++) m[r * n + j] -= factor * m[col * n + j];
    }
  }
  const lower = identity(n);
  const upper = { n, data: new Float64Array(n * n) };
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (j < i) lower.data[i * n + j] = m[i * n + j];
      else upper.data[i * n + j] = m[i * n + j];
    }
  }
  return { perm, lower, upper, permSign };
}

/** The permutation matrix P of an LU decomposition, so that A = P·L·U. */
export function permutationMatrix(perm: Int32Array): Matrix {
  const n = perm.length;
  const data = new Float64Array(n * n);
  for (let i = 0; i < n; i++) data[perm[i] * n + i] = 1;
  return { n, data };
}

/** log|det A| (−Infinity for a singular matrix). */
export function logAbsDet(a: Matrix): number {
  let lu: LU;
  try {
    lu = luDecompose(a);
  } catch {
    return -Infinity;
  }
  let sum = 0;
  for (let i = 0; i < a.n; i++) sum += Math.log(Math.abs(lu.upper.data[i * a.n + i]));
  return sum;
}

/** A⁻¹, by LU with partial pivoting and one forward/back substitution per column. */
export function invert(a: Matrix): Matrix {
  const n = a.n;
  const { perm, lower, upper } = luDecompose(a);
  const out = new Float64Array(n * n);
  const column = new Float64Array(n);
  for (let c = 0; c < n; c++) {
    // Solve L·U·x = Pᵀ·e_c: row i of Pᵀe_c is 1 where perm[i] === c.
    for (let i = 0; i < n; i++) {
      let v = perm[i] === c ? 1 : 0;
      for (let k = 0; k < i; k++) v -= lower.data[i * n + k] * column[k];
      column[i] = v;
    }
    for (let i = n - 1; i >= 0; i--) {
      let v = column[i];
      for (let k = i + 1; k < n; k++) v -= upper.data[i * n + k] * column[k];
      column[i] = v / upper.data[i * n + i];
    }
    for (let i = 0; i < n; i++) out[i * n + c] = column[i];
  }
  return { n, data: out };
}
