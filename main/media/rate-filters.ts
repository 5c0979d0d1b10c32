// The two ffmpeg filters that change a video's frame rate with made frames, shared by the engines and the exporter
// so that "motion-compensated" and "blended" mean the same everywhere. `fps` is ffmpeg's rate text ("24",
// "24000/1001").

/** Motion-compensated interpolation to `fps` (minterpolate, bidirectional motion estimation, overlapped blocks). */
export function motionInterpolationFilter(fps: string): string {
  return `minterpolate=fps=${fps}:mi_mode=mci:mc_mode=aobmc:me_mode=bidir:vsbmc=1`;
}

/** Each output frame a blend of the two source frames around its time (framerate; scene detection off). */
export function frameBlendFilter(fps: string): string {
  return `framerate=fps=${fps}:interp_start=0:interp_end=255:scene=100`;
}
