package clip.cli;

/** The entry point of {@code bin/clip}: every user-facing command, registered once. */
public final class Main {
    private Main() {
    }

    static Cli cli() {
        return new Cli()
                .register(new TrainCommand())
                .register(new RetrainCommand())
                .register(new EvalCommand())
                .register(new ExportCommand(), "onnx")
                .register(new EmbedCommand())
                .register(new IndexCommand())
                .register(new SearchCommand(), "json", "exact")
                .register(new GenerateCommand())
                .register(new PrepCommand(), "strict")
                .register(new BenchImagesCommand(), "no-pil")
                .register(new BenchRetrievalCommand())
                .register(new BenchAnnCommand())
                .register(new BenchLossCommand())
                .register(new BenchCommCommand())
                .register(new ForwardCommand(), "grads")
                .register(new TokenizeCommand(System.in))
                .register(new BenchCommand(), "no-torch", "ops")
                .register(new AttentionCommand())
                .register(new PlotCommand());
    }

    public static void main(String[] args) {
        int code = cli().run(args, System.out, System.err);
        System.out.flush();
        System.exit(code);
    }
}
