from voiceops.cli import main

main()
