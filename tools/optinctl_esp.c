/* optinctl_esp.c - being written */
#include "optinctl.h"
