/* unsubd_pages.c - being written */
#include "unsubd.h"
typedef int unsubd_pages_placeholder;
