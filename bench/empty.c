/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The floor: what it costs to fork, exec and wait for a C program that does
 * nothing (dynamically linked to libc, like any helper). */
int main(void)
{
        return 0;
}
