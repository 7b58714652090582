/* unsubd.c - being written */
#include "unsubd.h"
int main(void)
{
    return 1;
}
