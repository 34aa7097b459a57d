import ArgumentParser

@main
struct SMSyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "smsync", abstract: "Keep conda env files in step with SageMaker kernels.")
}
