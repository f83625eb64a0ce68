import ChatService

/// The contract's JSON shapes live in ChatService; the account routes and the export use them
/// under their old name. (Spelt through `ChatService.JSON`: the module and its main type share a
/// name, so `ChatService.ChatJSON` would look inside the type.)
typealias ChatJSON = ChatService.JSON
