/* optinctl_feedback.c - being written */
#include "optinctl.h"
