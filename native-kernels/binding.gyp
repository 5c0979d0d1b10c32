{
  "targets": [
    {
      "target_name": "upframe_kernels",
      "sources": ["src/kernels.c", "src/binding.c"],
      # No -ffast-math and no contraction into fused multiply-adds: every kernel rounds exactly where the
      # TypeScript loops it replaced did (float64 arithmetic, float32 stores), so results are the same to the bit
      # on every machine.
      "cflags": ["-O3", "-std=c11", "-ffp-contract=off", "-fno-math-errno"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O3", "-std=c11", "-ffp-contract=off", "-fno-math-errno"] },
      "msvs_settings": { "VCCLCompilerTool": { "Optimization": 2, "FloatingPointModel": 0 } }
    }
  ]
}
