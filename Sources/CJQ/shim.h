// Debian's libjq-dev (jq 1.6): jq.h declares the compiler and interpreter, jv.h the values.
#include <jq.h>
#include <jv.h>
