/* A tiny program the first pipeline builds and runs in containers (engine smoke path). */
#include <stdio.h>
int main(void) { printf("hello from dpu-ci\n"); return 0; }
