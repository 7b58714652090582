/* spf.c - being written */
#include "spf.h"
typedef int spf_placeholder;
