/* unsubd.h - being written */
