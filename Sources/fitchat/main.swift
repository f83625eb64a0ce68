print("fitchat")
