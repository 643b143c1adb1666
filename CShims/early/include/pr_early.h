#ifndef PR_EARLY_H
#define PR_EARLY_H

/// Linked into the podrig executable only: its .init_array constructor (priority 101, the first
/// to run) answers `podrig --version` and exits before the Swift runtime's, libdispatch's and the
/// other libraries' initialisers run. Nothing to call; this returns 1 when the constructor is in.
int pr_early_linked(void);

#endif
