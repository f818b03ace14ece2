/**
 * The command line (picocli): one class per subcommand, each a {@code Callable<Integer>}; only
 * {@link CkaAtlas#main} exits. Exit codes: 0 done, 1 internal error, 2 bad input (one line names it),
 * 3 the run failed.
 */
package org.ckaatlas.cli;
