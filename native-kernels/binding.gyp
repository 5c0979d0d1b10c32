{
  "targets": [
    {
      "target_name": "upframe_kernels",
      "sources": ["src/kernels.c", "src/binding.c"],
      # No -ffast-math and no contraction into fused multiply-adds: every kernel rounds exactly where the
      # TypeScript loops it replaced did (float64 arithmetic, float32 stores), so results are the same on every
      # machine. gnu11: libuv's header (the threads of the two-half passes) needs the POSIX types.
      "cflags": ["-O3", "-std=gnu11", "-ffp-contract=off", "-fno-math-errno"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O3", "-std=gnu11", "-ffp-contract=off", "-fno-math-errno"] },
      "msvs_settings": { "VCCLCompilerTool": { "Optimization": 2, "FloatingPointModel": 0 } }
    }
  ]
}
