package io.gatewayd.cli;

import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code gatewayctl completion bash|zsh}: prints a shell completion script (picocli AutoComplete). */
@Command(name = "completion",
        description = {"Print a shell completion script for bash or zsh.",
                "bash: source <(gatewayctl completion bash), or save it as",
                "/etc/bash_completion.d/gatewayctl. zsh: source <(gatewayctl completion zsh)."})
final class CompletionCommand implements java.util.concurrent.Callable<Integer> {
    @CommandLine.Mixin
    HelpOption helpOption;

    @Parameters(paramLabel = "SHELL", description = "bash or zsh")
    String shell;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        String script = script(shell);
        spec.commandLine().getOut().print(script);
        spec.commandLine().getOut().flush();
        return GatewayCtl.EXIT_OK;
    }

    static String script(String shell) {
        String bash = AutoComplete.bash("gatewayctl", GatewayCtl.commandLine());
        return switch (shell) {
            case "bash" -> bash;
            // picocli's script is bash; zsh runs it through bashcompinit
            case "zsh" -> "autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n" + bash;
            default -> throw new CliException(GatewayCtl.EXIT_USAGE, "unknown shell \"" + shell
                    + "\"; use bash or zsh");
        };
    }
}
