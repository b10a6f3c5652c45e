/** Rounding and saturation exactly as the C++ kernels and ONNX define them. */

/** Rounds to the nearest integer, ties to even (IEEE roundTiesToEven, C's nearbyint). */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f; // exact for every float32 value held in a double
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** float32 value -> quantized integer with the float-domain clamp of qs32-qx8-requantize.h. */
export function saturateRound(x: number, zeroPoint: number, min: number, max: number): number {
  const clamped = Math.min(Math.max(x, min - zeroPoint), max - zeroPoint);
  return roundHalfEven(clamped) + zeroPoint;
}
