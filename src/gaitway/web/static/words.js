// Symmetry and weight bearing in words and numbers, with the sign convention stated once here.
//
// Stride-time symmetry index SI = 200 * (left - right) / (left + right), from the last stride of
// each leg: 0 is symmetric, positive means the left leg's strides take longer. In words it is the
// ratio of the two: left / right = (200 + SI) / (200 - SI).
// Weight bearing is each leg's share of the vertical force on the two force plates: the load the
// legs carry together (body-weight support carries the rest), so left + right = 100 %.

export const WALKING = new Set(["warm_up", "training", "cool_down"]);

const signed = (v) => `${v > 0 ? "+" : v < 0 ? "−" : "±"}${Math.abs(v).toFixed(1)}`;

export function symmetryWords(si, state) {
  if (state !== undefined && !WALKING.has(state)) return "Symmetry: shown while the patient walks.";
  if (si === null || si === undefined || !Number.isFinite(si) || Math.abs(si) >= 200) {
    return "Symmetry: not measured yet (needs a stride of each leg).";
  }
  const ratio = (200 + si) / (200 - si);
  const pct = Math.abs(ratio - 1) * 100;
  if (pct < 0.5) return `Strides equally long on both legs (symmetry index ${signed(si)} %).`;
  const [longer, shorter] = si > 0 ? ["Left", "right"] : ["Right", "left"];
  return `${longer} strides take ${pct.toFixed(0)} % longer than ${shorter} ones (symmetry index ${signed(si)} %).`;
}

export function weightWords(wb) {
  if (!wb || wb[0] === null || wb[0] === undefined || wb[1] === null || wb[1] === undefined) {
    return "Weight bearing: no load on the force plates yet.";
  }
  const left = Math.round(100 * wb[0] / (wb[0] + wb[1]));
  return `Left leg bears ${left} % of the weight on the legs, right ${100 - left} %.`;
}
