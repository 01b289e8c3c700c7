/* main.c - placeholder dispatcher; replaced by the CLI work. */
#include <stdio.h>
int main(void)
{
    puts("newsradar " NR_VERSION);
    return 0;
}
