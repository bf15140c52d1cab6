# Writes a C++ source that defines `extern const char ${SYMBOL}[]` holding the
# bytes of ${INPUT}, so data files ship inside the binaries.
# cmake -DINPUT=file -DOUTPUT=file.cc -DSYMBOL=name -P embed_file.cmake
file(READ ${INPUT} content)
set(delim "zbdata")
file(WRITE ${OUTPUT} "// Generated from ${INPUT} by cmake/embed_file.cmake; do not edit.\n")
file(APPEND ${OUTPUT} "extern const char ${SYMBOL}[];\n")
file(APPEND ${OUTPUT} "const char ${SYMBOL}[] = R\"${delim}(${content})${delim}\";\n")
