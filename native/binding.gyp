{
  "targets": [
    {
      "target_name": "genlab_blas",
      "sources": ["src/blas.c"],
      "cflags": ["-O3", "-std=c11", "-Wall"],
      "libraries": ["-lopenblas"],
      "conditions": [
        ["OS=='mac'", {
          "include_dirs": ["/opt/homebrew/opt/openblas/include", "/usr/local/opt/openblas/include"],
          "libraries": ["-L/opt/homebrew/opt/openblas/lib", "-L/usr/local/opt/openblas/lib"]
        }]
      ]
    }
  ]
}
