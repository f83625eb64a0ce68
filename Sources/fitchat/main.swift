print("fitchat: under construction")
