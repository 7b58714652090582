/* spf.h - being written */
#ifndef OPTIN_SPF_H
#define OPTIN_SPF_H
#endif
